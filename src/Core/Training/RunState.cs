using System.Diagnostics;
using Training.V1;
using TorchSharp;
using static TorchSharp.torch;

namespace TrainingService.Core.Training;

/// <summary>The moving parts of one run between epochs: the network, its optimizer and the step count.</summary>
internal sealed class RunState(JobSpec spec, Network network, optim.Optimizer optimizer, ITrainingObserver observer)
{
    private readonly int _batchSize = spec.Training.BatchSize;
    private readonly double _learningRate = spec.Optimizer.LearningRate;
    private readonly string[] _layerNames = network.LayerNames.ToArray();

    public long Step { get; private set; }

    public EpochMetrics TrainEpoch(int epoch, DeviceSplit train, DeviceSplit validation, Generator shuffler, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var totals = new EpochTotals(_layerNames.Length);
        network.Module.train();

        using (var order = torch.randperm(train.Count, generator: shuffler))
        {
            for (long start = 0; start < train.Count; start += _batchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var length = Math.Min(_batchSize, train.Count - start);
                var step = TrainStep(epoch, train, order.narrow(0, start, length));
                totals.Add(step, length);
                observer.OnStep(step);
            }
        }

        var trainSeconds = clock.Elapsed.TotalSeconds;
        var (validationLoss, validationAccuracy) = Trainer.Evaluate(network.Module, validation);
        var metrics = totals.ToEpochMetrics(epoch, Step, _layerNames, trainSeconds, _learningRate);
        metrics.ValidationLoss = validationLoss;
        metrics.ValidationAccuracy = validationAccuracy;
        metrics.SamplesPerSecond = train.Count / Math.Max(trainSeconds, 1e-9);
        metrics.EpochSeconds = clock.Elapsed.TotalSeconds;
        observer.OnEpoch(metrics);
        return metrics;
    }

    private StepMetrics TrainStep(int epoch, DeviceSplit train, Tensor indices)
    {
        using var scope = torch.NewDisposeScope();
        var features = train.Features.index_select(0, indices);
        var labels = train.Labels.index_select(0, indices);

        optimizer.zero_grad();
        var loss = nn.functional.cross_entropy(network.Module.forward(features), labels);
        loss.backward();

        // One tensor holds the loss and each layer's sum of squared gradients, so the host reads them all
        // with a single copy instead of one per layer.
        var readings = torch.stack(network.ParameterisedLayers.Select(layer => SquaredGradientSum(layer.Layer)).Prepend(loss.detach()));
        var values = readings.to_type(ScalarType.Float64).data<double>().ToArray();

        Step++;
        var step = ToStepMetrics(epoch, values);
        ThrowIfDiverged(step);
        optimizer.step();
        return step;
    }

    private static Tensor SquaredGradientSum(nn.Module layer)
    {
        var squares = layer.parameters()
            .Where(parameter => parameter.grad is not null)
            .Select(parameter => parameter.grad!.square().sum())
            .ToList();
        return squares.Count == 0 ? torch.zeros(1).squeeze() : torch.stack(squares).sum();
    }

    private StepMetrics ToStepMetrics(int epoch, double[] values)
    {
        var step = new StepMetrics { Step = Step, Epoch = epoch, Loss = values[0], LearningRate = _learningRate };
        double globalSquares = 0;

        for (var i = 0; i < _layerNames.Length; i++)
        {
            globalSquares += values[i + 1];
            step.LayerGradientNorms.Add(new LayerGradientNorm { Layer = _layerNames[i], Norm = Math.Sqrt(values[i + 1]) });
        }

        step.GradientNorm = Math.Sqrt(globalSquares);
        return step;
    }

    private void ThrowIfDiverged(StepMetrics step)
    {
        if (!double.IsFinite(step.Loss))
        {
            throw new TrainingDivergedException(step.Step, step.Epoch,
                $"Training diverged at step {step.Step} (epoch {step.Epoch}): the loss became {step.Loss}. " +
                $"The learning rate {_learningRate} is likely too large; lower it and submit again.");
        }

        var layer = step.LayerGradientNorms.FirstOrDefault(norm => !double.IsFinite(norm.Norm));
        if (layer is not null)
        {
            throw new TrainingDivergedException(step.Step, step.Epoch,
                $"Training diverged at step {step.Step} (epoch {step.Epoch}): the gradient norm of layer {layer.Layer} became {layer.Norm}. " +
                $"The learning rate {_learningRate} is likely too large; lower it and submit again.");
        }
    }

    /// <summary>Running sums over an epoch's steps, weighted by batch size for the loss.</summary>
    private sealed class EpochTotals(int layerCount)
    {
        private readonly double[] _layerNormSums = new double[layerCount];
        private double _lossSum;
        private double _normSum;
        private long _examples;
        private int _steps;

        public void Add(StepMetrics step, long batchSize)
        {
            _lossSum += step.Loss * batchSize;
            _examples += batchSize;
            _normSum += step.GradientNorm;
            _steps++;

            for (var i = 0; i < _layerNormSums.Length; i++)
            {
                _layerNormSums[i] += step.LayerGradientNorms[i].Norm;
            }
        }

        public EpochMetrics ToEpochMetrics(int epoch, long step, string[] layerNames, double trainSeconds, double learningRate)
        {
            var metrics = new EpochMetrics
            {
                Epoch = epoch,
                Step = step,
                TrainLoss = _lossSum / _examples,
                GradientNorm = _normSum / _steps,
                LearningRate = learningRate,
            };

            for (var i = 0; i < layerNames.Length; i++)
            {
                metrics.LayerGradientNorms.Add(new LayerGradientNorm { Layer = layerNames[i], Norm = _layerNormSums[i] / _steps });
            }

            return metrics;
        }
    }
}
