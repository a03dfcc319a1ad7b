using Training.V1;
using TrainingService.Core.Training;

namespace TrainingService.Core.Tests;

/// <summary>Keeps every step and epoch a run reports, and can act on a step, for instance to cancel.</summary>
internal sealed class RecordingObserver(Action<StepMetrics>? onStep = null) : ITrainingObserver
{
    public List<StepMetrics> Steps { get; } = [];

    public List<EpochMetrics> Epochs { get; } = [];

    public void OnStep(StepMetrics metrics)
    {
        Steps.Add(metrics);
        onStep?.Invoke(metrics);
    }

    public void OnEpoch(EpochMetrics metrics) => Epochs.Add(metrics);
}
