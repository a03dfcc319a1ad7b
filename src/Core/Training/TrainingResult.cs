using Training.V1;
using TrainingService.Core.Datasets;

namespace TrainingService.Core.Training;

/// <summary>The outcome of a finished run.</summary>
/// <param name="TestLoss">Null when the spec has no test split.</param>
/// <param name="TestAccuracy">Null without a test split and for regression.</param>
/// <param name="ModelState">The trained weights in TorchSharp's state-dictionary format, loadable into a network built from the same spec.</param>
/// <param name="TrainSeconds">Wall time of the whole run, evaluation included.</param>
/// <param name="BestEpoch">The epoch whose weights the model holds.</param>
/// <param name="Preprocessing">How raw features became inputs, for predictions on raw rows.</param>
public sealed record TrainingResult(
    double? TestLoss,
    double? TestAccuracy,
    byte[] ModelState,
    long Steps,
    double TrainSeconds,
    EpochMetrics LastEpoch,
    int BestEpoch,
    bool StoppedEarly,
    FeaturePreprocessing Preprocessing);

/// <summary>
/// Thrown when a loss or gradient stops being finite. The check runs before the optimizer applies the bad
/// gradient, so the network still contains the weights of the last finite step. They are not stored as a model.
/// </summary>
public sealed class TrainingDivergedException(long step, int epoch, string message) : Exception(message)
{
    public long Step { get; } = step;

    public int Epoch { get; } = epoch;
}
