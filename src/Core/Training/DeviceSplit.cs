using TrainingService.Core.Datasets;
using TorchSharp;
using static TorchSharp.torch;

namespace TrainingService.Core.Training;

/// <summary>One dataset split as tensors: features [count, width] in float32 and class labels [count] in int64.</summary>
internal sealed class DeviceSplit : IDisposable
{
    private DeviceSplit(Tensor features, Tensor labels, long count)
    {
        Features = features;
        Labels = labels;
        Count = count;
    }

    public Tensor Features { get; }

    public Tensor Labels { get; }

    public long Count { get; }

    public static DeviceSplit Create(Dataset dataset)
    {
        var features = torch.tensor(dataset.Features, [dataset.Count, dataset.FeatureCount]);
        var labels = torch.tensor(Array.ConvertAll(dataset.Labels, label => (long)label), [dataset.Count]);
        return new DeviceSplit(features.DetachFromDisposeScope(), labels.DetachFromDisposeScope(), dataset.Count);
    }

    public void Dispose()
    {
        Features.Dispose();
        Labels.Dispose();
    }
}
