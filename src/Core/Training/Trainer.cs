using System.Diagnostics;
using Training.V1;
using TrainingService.Core.Datasets;
using TorchSharp;
using static TorchSharp.torch;

namespace TrainingService.Core.Training;

/// <summary>
/// Trains the network of a job spec on its prepared data: mini-batches in train mode, one evaluation of the
/// validation split in eval mode after each epoch, and one of the test split at the end. The same spec and
/// seed give bit-identical metrics and weights on the same machine and thread count.
/// </summary>
public static class Trainer
{
    public static TrainingResult Train(JobSpec spec, PreparedData data, ITrainingObserver observer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(observer);

        var clock = Stopwatch.StartNew();
        var loss = LossSelection.Resolve(spec.Training.Loss, data.Info);
        var splits = data.Splits;

        using var generators = new RunGenerators(spec.Training.Seed);
        using var network = NetworkBuilder.Build(spec, splits.Train.FeatureCount, LossSelection.OutputWidth(loss, data.Info), generators.Init, generators.Dropout);
        using var optimizer = OptimizerFactory.Create(spec.Optimizer, spec.Regularization, network.Module.parameters());
        using var train = DeviceSplit.Create(splits.Train, loss);
        using var validation = DeviceSplit.Create(splits.Validation, loss);
        using var test = DeviceSplit.Create(splits.Test, loss);
        using var earlyStopping = new EarlyStopper(spec.Regularization?.EarlyStopping);

        var run = new RunState(spec, network, optimizer, loss, new LearningRateScheduler(spec.Optimizer, spec.Training.Epochs), observer);
        EpochMetrics lastEpoch = null!;
        var stoppedEarly = false;

        for (var epoch = 1; epoch <= spec.Training.Epochs && !stoppedEarly; epoch++)
        {
            lastEpoch = run.TrainEpoch(epoch, train, validation, generators.Shuffle, cancellationToken);
            stoppedEarly = earlyStopping.ShouldStop(epoch, lastEpoch.ValidationLoss, network.Module) && epoch < spec.Training.Epochs;
        }

        earlyStopping.RestoreBest(network.Module);
        var (testLoss, testAccuracy) = Evaluation.Evaluate(network.Module, test, loss);
        return new TrainingResult(testLoss, testAccuracy, SaveState(network.Module), run.Step, clock.Elapsed.TotalSeconds,
            lastEpoch, earlyStopping.BestEpoch, stoppedEarly, data.Preprocessing);
    }

    private static byte[] SaveState(nn.Module module)
    {
        using var buffer = new MemoryStream();
        module.save(buffer);
        return buffer.ToArray();
    }
}
