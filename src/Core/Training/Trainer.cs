using System.Diagnostics;
using Training.V1;
using TrainingService.Core.Datasets;
using TorchSharp;
using static TorchSharp.torch;

namespace TrainingService.Core.Training;

/// <summary>
/// Trains the network of a job spec on its dataset splits: mini-batches in train mode, one evaluation of the
/// validation split in eval mode after each epoch, and one of the test split at the end.
/// </summary>
/// <remarks>
/// Seeds torch's global generator, which weight initialisation and dropout draw from, so a process must run
/// one training at a time for runs to be reproducible.
/// </remarks>
public static class Trainer
{
    private const int EvaluationBatchSize = 2048;

    public static TrainingResult Train(JobSpec spec, DatasetSplits data, ITrainingObserver observer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(observer);

        var clock = Stopwatch.StartNew();
        var seed = spec.Training.Seed;
        torch.manual_seed(unchecked((long)seed));

        using var network = NetworkBuilder.Build(spec, data.Train.FeatureCount);
        using var optimizer = OptimizerFactory.Create(spec.Optimizer, spec.Regularization, network.Module.parameters());
        using var train = DeviceSplit.Create(data.Train);
        using var validation = DeviceSplit.Create(data.Validation);
        using var test = DeviceSplit.Create(data.Test);
        using var shuffler = new Generator(seed, CPU);

        var run = new RunState(spec, network, optimizer, observer);
        EpochMetrics? lastEpoch = null;

        for (var epoch = 1; epoch <= spec.Training.Epochs; epoch++)
        {
            lastEpoch = run.TrainEpoch(epoch, train, validation, shuffler, cancellationToken);
        }

        var (testLoss, testAccuracy) = Evaluate(network.Module, test);
        var state = SaveState(network.Module);
        return new TrainingResult(testLoss, testAccuracy, state, run.Step, clock.Elapsed.TotalSeconds, lastEpoch!);
    }

    /// <summary>Returns the mean loss and the accuracy of <paramref name="module"/> on a split, in eval mode and without gradients.</summary>
    internal static (double Loss, double Accuracy) Evaluate(nn.Module<Tensor, Tensor> module, DeviceSplit split)
    {
        module.eval();

        try
        {
            using var noGrad = torch.no_grad();
            double lossSum = 0;
            long correct = 0;

            for (long start = 0; start < split.Count; start += EvaluationBatchSize)
            {
                using var scope = torch.NewDisposeScope();
                var length = Math.Min(EvaluationBatchSize, split.Count - start);
                var logits = module.forward(split.Features.narrow(0, start, length));
                var labels = split.Labels.narrow(0, start, length);
                lossSum += nn.functional.cross_entropy(logits, labels, reduction: nn.Reduction.Sum).item<float>();
                correct += logits.argmax(1).eq(labels).sum().item<long>();
            }

            return (lossSum / split.Count, (double)correct / split.Count);
        }
        finally
        {
            module.train();
        }
    }

    private static byte[] SaveState(nn.Module module)
    {
        using var buffer = new MemoryStream();
        module.save(buffer);
        return buffer.ToArray();
    }
}
