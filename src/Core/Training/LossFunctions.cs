using TorchSharp;
using static TorchSharp.torch;

namespace TrainingService.Core.Training;

internal static class LossFunctions
{
    /// <summary>The mean loss of a batch, as PyTorch's functional losses compute it with reduction "mean".</summary>
    public static Tensor Compute(LossKind loss, Tensor outputs, Tensor targets) => loss switch
    {
        LossKind.CrossEntropy => nn.functional.cross_entropy(outputs, targets),
        LossKind.BinaryCrossEntropyWithLogits => nn.functional.binary_cross_entropy_with_logits(outputs, targets),
        _ => nn.functional.mse_loss(outputs, targets),
    };

    /// <summary>The number of correctly classified examples in a batch, as a scalar tensor; null for regression.</summary>
    public static Tensor? CorrectCount(LossKind loss, Tensor outputs, Tensor? labels)
    {
        if (labels is null)
        {
            return null;
        }

        using var predicted = loss == LossKind.BinaryCrossEntropyWithLogits ? outputs.squeeze(1).gt(0).to_type(ScalarType.Int64) : outputs.argmax(1);
        return predicted.eq(labels).sum();
    }

    /// <summary>
    /// Turns network outputs into predictions: class probabilities for cross-entropy, the probability of class 1
    /// for binary cross-entropy, and the raw outputs for mean squared error.
    /// </summary>
    public static Tensor ToPredictions(LossKind loss, Tensor outputs) => loss switch
    {
        LossKind.CrossEntropy => nn.functional.softmax(outputs, 1),
        LossKind.BinaryCrossEntropyWithLogits => torch.sigmoid(outputs),
        _ => outputs.alias(),
    };
}
