using TorchSharp;
using static TorchSharp.torch;

namespace TrainingService.Core.Training;

internal static class Evaluation
{
    private const int BatchSize = 2048;

    /// <summary>
    /// Returns the mean loss and, for classification, the accuracy of <paramref name="module"/> on a split, in
    /// eval mode and without gradients; both null for an empty split.
    /// </summary>
    public static (double? Loss, double? Accuracy) Evaluate(nn.Module<Tensor, Tensor> module, DeviceSplit split, LossKind loss)
    {
        if (split.Count == 0)
        {
            return (null, null);
        }

        module.eval();

        try
        {
            using var noGrad = torch.no_grad();
            double lossSum = 0;
            double correct = 0;

            for (long start = 0; start < split.Count; start += BatchSize)
            {
                using var scope = torch.NewDisposeScope();
                var length = Math.Min(BatchSize, split.Count - start);
                var outputs = module.forward(split.Features.narrow(0, start, length));
                var labels = split.Labels?.narrow(0, start, length);
                lossSum += LossFunctions.Compute(loss, outputs, split.Targets.narrow(0, start, length)).item<float>() * length;
                correct += LossFunctions.CorrectCount(loss, outputs, labels)?.item<long>() ?? 0;
            }

            var accuracy = split.Labels is null ? (double?)null : correct / split.Count;
            return (lossSum / split.Count, accuracy);
        }
        finally
        {
            module.train();
        }
    }
}
