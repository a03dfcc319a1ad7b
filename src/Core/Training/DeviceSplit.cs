using TrainingService.Core.Datasets;
using TorchSharp;
using static TorchSharp.torch;

namespace TrainingService.Core.Training;

/// <summary>
/// One dataset split as tensors: features [count, width] in float32, the targets in the form the loss takes,
/// and for classification the class labels [count] in int64 for accuracy.
/// </summary>
internal sealed class DeviceSplit : IDisposable
{
    private DeviceSplit(Tensor features, Tensor targets, Tensor? labels, long count)
    {
        Features = features;
        Targets = targets;
        Labels = labels;
        Count = count;
    }

    public Tensor Features { get; }

    /// <summary>Class indices for cross-entropy, 0/1 floats [count, 1] for binary cross-entropy, values or one-hot rows for MSE.</summary>
    public Tensor Targets { get; }

    public Tensor? Labels { get; }

    public long Count { get; }

    public static DeviceSplit Create(Dataset dataset, LossKind loss)
    {
        ArgumentNullException.ThrowIfNull(dataset);

        using var scope = torch.NewDisposeScope();
        var features = AlignedCopy(dataset.Features, dataset.Count, dataset.FeatureCount);
        var labels = dataset.Labels is null ? null : torch.tensor(Array.ConvertAll(dataset.Labels, label => (long)label), [dataset.Count]);

        var targets = loss switch
        {
            LossKind.CrossEntropy => labels!.alias(),
            LossKind.BinaryCrossEntropyWithLogits => labels!.to_type(ScalarType.Float32).reshape(dataset.Count, 1),
            _ when labels is not null => nn.functional.one_hot(labels, dataset.ClassCount).to_type(ScalarType.Float32),
            _ => torch.tensor(dataset.Targets!, [dataset.Count, dataset.TargetWidth]),
        };

        return new DeviceSplit(features.MoveToOuterDisposeScope(), targets.MoveToOuterDisposeScope(), labels?.MoveToOuterDisposeScope(), dataset.Count);
    }

    /// <summary>
    /// Copies rows into memory that libtorch allocates. A tensor made over a managed array sits wherever the
    /// array does, and the CPU kernels may then take a path for another alignment whose float sums round
    /// differently, so the same rows would not always give bit-identical outputs.
    /// </summary>
    public static Tensor AlignedCopy(float[] values, long rows, long width)
    {
        using var view = torch.tensor(values, [rows, width]);
        return view.clone();
    }

    public void Dispose()
    {
        Features.Dispose();
        Targets.Dispose();
        Labels?.Dispose();
    }
}
