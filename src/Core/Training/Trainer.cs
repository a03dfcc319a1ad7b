using System.Diagnostics;
using Training.V1;
using TrainingService.Core.Datasets;
using TorchSharp;
using static TorchSharp.torch;

namespace TrainingService.Core.Training;

/// <summary>
/// Trains the network of a job spec on its prepared data: mini-batches in train mode, one evaluation of the
/// validation split in eval mode after each epoch, and one of the test split at the end. The same spec and
/// seed give bit-identical metrics and weights on the same machine and thread count, also across a resume
/// from a checkpoint.
/// </summary>
public static class Trainer
{
    public static TrainingResult Train(JobSpec spec, PreparedData data, ITrainingObserver observer, CancellationToken cancellationToken) =>
        Train(spec, data, observer, CheckpointOptions.None, resumeFrom: null, cancellationToken);

    /// <summary>
    /// Trains, handing checkpoints to <paramref name="checkpoints"/>'s sink as often as its policy sets and once more when
    /// cancelled, and resumes from <paramref name="resumeFrom"/> when given.
    /// </summary>
    /// <exception cref="OperationCanceledException">The token was cancelled; the last step's checkpoint was handed to the sink first.</exception>
    /// <exception cref="TrainingDivergedException">A loss or gradient became NaN or infinite.</exception>
    public static TrainingResult Train(
        JobSpec spec,
        PreparedData data,
        ITrainingObserver observer,
        CheckpointOptions checkpoints,
        TrainingCheckpoint? resumeFrom,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(observer);
        ArgumentNullException.ThrowIfNull(checkpoints);

        var loss = LossSelection.Resolve(spec.Training.Loss, data.Info);
        var splits = data.Splits;

        using var generators = new RunGenerators(spec.Training.Seed);
        using var network = NetworkBuilder.Build(spec, splits.Train.FeatureCount, LossSelection.OutputWidth(loss, data.Info), generators.Init, generators.Dropout);
        using var optimizer = OptimizerFactory.Create(spec.Optimizer, spec.Regularization, network.Module.parameters());
        using var train = DeviceSplit.Create(splits.Train, loss);
        using var validation = DeviceSplit.Create(splits.Validation, loss);
        using var test = DeviceSplit.Create(splits.Test, loss);
        using var earlyStopper = new EarlyStopper(spec.Regularization?.EarlyStopping);

        var run = new RunState(spec, network, optimizer, loss, generators, earlyStopper, observer, checkpoints);
        if (resumeFrom is not null)
        {
            run.Restore(resumeFrom);
        }

        EpochMetrics lastEpoch = null!;
        var stoppedEarly = false;

        try
        {
            for (var epoch = resumeFrom?.Epoch ?? 1; epoch <= spec.Training.Epochs && !stoppedEarly; epoch++)
            {
                lastEpoch = run.TrainEpoch(epoch, train, validation, cancellationToken);
                stoppedEarly = earlyStopper.ShouldStop(epoch, lastEpoch.ValidationLoss, network.Module) && epoch < spec.Training.Epochs;
            }
        }
        catch (OperationCanceledException)
        {
            // A cancelled run stops at a step boundary, so its state is whole: saving it lets a shutdown resume here.
            run.CheckpointNow();
            throw;
        }

        earlyStopper.RestoreBest(network.Module);
        var (testLoss, testAccuracy) = Evaluation.Evaluate(network.Module, test, loss);
        return new TrainingResult(testLoss, testAccuracy, ModelStates.Save(network.Module), run.Step, run.ElapsedSeconds,
            lastEpoch, earlyStopper.BestEpoch, stoppedEarly, data.Preprocessing);
    }
}
