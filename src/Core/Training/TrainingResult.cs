using Training.V1;

namespace TrainingService.Core.Training;

/// <summary>The outcome of a finished run.</summary>
/// <param name="ModelState">The trained weights in TorchSharp's state-dictionary format, loadable into a network built from the same spec.</param>
/// <param name="TrainSeconds">Wall time of the whole run, evaluation included.</param>
public sealed record TrainingResult(
    double TestLoss,
    double TestAccuracy,
    byte[] ModelState,
    long Steps,
    double TrainSeconds,
    EpochMetrics LastEpoch);

/// <summary>
/// Thrown when a loss or gradient stops being finite. The network keeps the weights of the last finite step,
/// because the check runs before the optimizer applies the bad gradient.
/// </summary>
public sealed class TrainingDivergedException(long step, int epoch, string message) : Exception(message)
{
    public long Step { get; } = step;

    public int Epoch { get; } = epoch;
}
