using Training.V1;

namespace TrainingService.Core.Training;

internal static class Divergence
{
    /// <summary>Throws when a step's loss or a layer's gradient norm is NaN or infinite, naming the step and the learning rate.</summary>
    public static void ThrowIfDiverged(StepMetrics step, double learningRate)
    {
        var cause = !double.IsFinite(step.Loss)
            ? $"the loss became {step.Loss}"
            : step.LayerGradientNorms.FirstOrDefault(norm => !double.IsFinite(norm.Norm)) is { } layer
                ? $"the gradient norm of layer {layer.Layer} became {layer.Norm}"
                : null;

        if (cause is not null)
        {
            throw new TrainingDivergedException(step.Step, step.Epoch,
                $"Training diverged at step {step.Step} (epoch {step.Epoch}): {cause}. " +
                $"The learning rate {learningRate} is likely too large; lower it and submit again.");
        }
    }
}
