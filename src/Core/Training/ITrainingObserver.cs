using Training.V1;

namespace TrainingService.Core.Training;

/// <summary>
/// Receives what a run measures, as it measures it. Called on the training thread: an implementation that
/// does I/O should buffer and return quickly, because the next step waits for it.
/// </summary>
public interface ITrainingObserver
{
    /// <summary>Called after every optimizer step with the batch loss and the gradient norms taken before the step.</summary>
    void OnStep(StepMetrics metrics);

    /// <summary>Called after every epoch with the epoch's training means and the validation results.</summary>
    void OnEpoch(EpochMetrics metrics);
}

/// <summary>Passes every measurement to each of several observers, in order.</summary>
public sealed class CompositeTrainingObserver(params ITrainingObserver[] observers) : ITrainingObserver
{
    public void OnStep(StepMetrics metrics)
    {
        foreach (var observer in observers)
        {
            observer.OnStep(metrics);
        }
    }

    public void OnEpoch(EpochMetrics metrics)
    {
        foreach (var observer in observers)
        {
            observer.OnEpoch(metrics);
        }
    }
}
