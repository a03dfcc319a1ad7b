using System.Diagnostics;
using Training.V1;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TrainingService.Core.Training;

/// <summary>
/// The moving parts of one run between steps: the network, its optimizer, the schedule, the step count and
/// the data-order cursor. It makes checkpoints as often as the policy sets and resumes from one exactly.
/// </summary>
internal sealed class RunState(
    JobSpec spec,
    Network network,
    optim.Optimizer optimizer,
    LossKind loss,
    RunGenerators generators,
    EarlyStopper earlyStopper,
    ITrainingObserver observer,
    CheckpointOptions checkpoints)
{
    private readonly int _batchSize = spec.Training.BatchSize;
    private readonly double _maxGradientNorm = spec.Optimizer.MaxGradientNorm;
    private readonly string[] _layerNames = network.LayerNames.ToArray();
    private readonly Parameter[] _parameters = network.Module.parameters().ToArray();
    private readonly LearningRateScheduler _schedule = new(spec.Optimizer, spec.Training.Epochs);
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Stopwatch _epochClock = new();
    private TrainingCheckpoint? _resumeFrom;
    private EpochTotals _totals = new(0);
    private byte[] _epochShuffleState = [];
    private int _epoch;
    private long _nextBatchStart;
    private long _lastCheckpointStep;
    private TimeSpan _lastCheckpointTime;
    private double _elapsedBefore;

    public long Step { get; private set; }

    private double EpochSeconds => _totals.SecondsBefore + _epochClock.Elapsed.TotalSeconds;

    /// <summary>Training wall time over this attempt and every earlier one.</summary>
    public double ElapsedSeconds => _elapsedBefore + _clock.Elapsed.TotalSeconds;

    /// <summary>Puts the network, optimizer, generators and counters back as the checkpoint recorded them.</summary>
    public void Restore(TrainingCheckpoint checkpoint)
    {
        using (var stream = new MemoryStream(checkpoint.ModelState))
        {
            network.Module.load(stream);
        }

        using (var reader = new BinaryReader(new MemoryStream(checkpoint.OptimizerState)))
        {
            ((OptimizerHelper)optimizer).load_state_dict(reader);
        }

        GeneratorStates.Restore(generators.Dropout, checkpoint.DropoutState);
        earlyStopper.Restore(checkpoint.EarlyStopping);
        Step = checkpoint.Step;
        _lastCheckpointStep = checkpoint.Step;
        _elapsedBefore = checkpoint.ElapsedSeconds;
        _resumeFrom = checkpoint;
    }

    /// <summary>Hands a checkpoint of the last finished step to the sink, unless one was already made there.</summary>
    public void CheckpointNow()
    {
        if (Step > _lastCheckpointStep && _epoch > 0)
        {
            SaveCheckpoint();
        }
    }

    public EpochMetrics TrainEpoch(int epoch, DeviceSplit train, DeviceSplit validation, CancellationToken cancellationToken)
    {
        _epochClock.Restart();
        var start = BeginEpoch(epoch);
        network.Module.train();

        using (var order = torch.randperm(train.Count, generator: generators.Shuffle))
        {
            for (; start < train.Count; start += _batchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var length = Math.Min(_batchSize, train.Count - start);
                var (step, correct) = TrainStep(epoch, train, order, start, length);
                _totals.Add(step, length, correct);
                _nextBatchStart = start + length;
                observer.OnStep(step);
                CheckpointIfDue();
            }
        }

        // An epoch resumed from a checkpoint counts the seconds its earlier attempt trained, like its examples.
        var trainSeconds = EpochSeconds;
        var metrics = _totals.ToEpochMetrics(epoch, Step, _layerNames, train.Labels is not null);
        var (validationLoss, validationAccuracy) = Evaluation.Evaluate(network.Module, validation, loss);
        metrics.ValidationLoss = validationLoss ?? 0;
        metrics.ValidationAccuracy = validationAccuracy ?? 0;
        ClearUnset(metrics, validationLoss, validationAccuracy);
        metrics.SamplesPerSecond = train.Count / Math.Max(trainSeconds, 1e-9);
        metrics.EpochSeconds = EpochSeconds;
        observer.OnEpoch(metrics);
        return metrics;
    }

    /// <summary>Starts an epoch's sums and shuffled order, or takes them from the checkpoint being resumed; returns the first batch's position.</summary>
    private long BeginEpoch(int epoch)
    {
        _epoch = epoch;

        if (_resumeFrom is { } checkpoint && checkpoint.Epoch == epoch)
        {
            _resumeFrom = null;
            _epochShuffleState = checkpoint.ShuffleStateAtEpochStart;
            GeneratorStates.Restore(generators.Shuffle, _epochShuffleState);
            _totals = EpochTotals.Restore(checkpoint.Totals);
            _nextBatchStart = checkpoint.NextBatchStart;
            return checkpoint.NextBatchStart;
        }

        _epochShuffleState = GeneratorStates.Capture(generators.Shuffle);
        _totals = new EpochTotals(_layerNames.Length);
        _nextBatchStart = 0;
        return 0;
    }

    private void CheckpointIfDue()
    {
        if (Step - _lastCheckpointStep >= checkpoints.Policy.EverySteps
            || _clock.Elapsed - _lastCheckpointTime >= checkpoints.Policy.Every)
        {
            SaveCheckpoint();
        }
    }

    private void SaveCheckpoint()
    {
        if (checkpoints.Sink is not { } sink)
        {
            return;
        }

        sink.Save(new TrainingCheckpoint
        {
            Step = Step,
            Epoch = _epoch,
            NextBatchStart = _nextBatchStart,
            ElapsedSeconds = ElapsedSeconds,
            ModelState = ModelStates.Save(network.Module),
            OptimizerState = ModelStates.Save(optimizer),
            ShuffleStateAtEpochStart = _epochShuffleState,
            DropoutState = GeneratorStates.Capture(generators.Dropout),
            Totals = _totals.Save(EpochSeconds),
            EarlyStopping = earlyStopper.Save(),
        });

        _lastCheckpointStep = Step;
        _lastCheckpointTime = _clock.Elapsed;
    }

    /// <summary>Trains on the <paramref name="length"/> examples at <paramref name="start"/> of the epoch's shuffled <paramref name="order"/>.</summary>
    private (StepMetrics Step, double Correct) TrainStep(int epoch, DeviceSplit train, Tensor order, long start, long length)
    {
        // The batch's view of the order is made inside the scope, so that it is disposed with the step's other tensors.
        using var scope = torch.NewDisposeScope();
        var indices = order.narrow(0, start, length);
        var rate = _schedule.RateAt(epoch, Step + 1);
        SetLearningRate(rate);

        var features = train.Features.index_select(0, indices);
        var targets = train.Targets.index_select(0, indices);
        var labels = train.Labels?.index_select(0, indices);

        optimizer.zero_grad();
        var outputs = network.Module.forward(features);
        var batchLoss = LossFunctions.Compute(loss, outputs, targets);
        batchLoss.backward();

        // One tensor contains the loss, the correct count and each layer's sum of squared gradients, so the host
        // reads them all with a single copy instead of one per layer.
        var correct = LossFunctions.CorrectCount(loss, outputs.detach(), labels)?.to_type(ScalarType.Float32) ?? torch.zeros(1).squeeze();
        var squares = network.ParameterisedLayers.Select(layer => SquaredGradientSum(layer.Layer));
        var readings = torch.stack(squares.Prepend(correct).Prepend(batchLoss.detach().to_type(ScalarType.Float32)));
        var values = readings.to_type(ScalarType.Float64).data<double>().ToArray();

        Step++;
        var step = ToStepMetrics(epoch, values, rate);
        Divergence.ThrowIfDiverged(step, spec.Optimizer.LearningRate);
        step.ClippedGradientNorm = ClipGradients(step.GradientNorm);
        optimizer.step();
        return (step, values[1]);
    }

    private void SetLearningRate(double rate)
    {
        foreach (var group in optimizer.ParamGroups)
        {
            group.LearningRate = rate;
        }
    }

    /// <summary>Scales every gradient as clip_grad_norm_ does when the global norm is above the limit; returns the norm after.</summary>
    private double ClipGradients(double norm)
    {
        if (_maxGradientNorm <= 0 || norm <= _maxGradientNorm)
        {
            return norm;
        }

        var factor = _maxGradientNorm / (norm + 1e-6);
        using var noGrad = torch.no_grad();
        foreach (var parameter in _parameters)
        {
            parameter.grad?.mul_(factor);
        }

        return norm * factor;
    }

    private static Tensor SquaredGradientSum(nn.Module layer)
    {
        var squares = layer.parameters()
            .Where(parameter => parameter.grad is not null)
            .Select(parameter => parameter.grad!.to_type(ScalarType.Float32).square().sum())
            .ToList();
        return squares.Count == 0 ? torch.zeros(1).squeeze() : torch.stack(squares).sum();
    }

    private StepMetrics ToStepMetrics(int epoch, double[] values, double rate)
    {
        var step = new StepMetrics { Step = Step, Epoch = epoch, Loss = values[0], LearningRate = rate };
        double globalSquares = 0;

        for (var i = 0; i < _layerNames.Length; i++)
        {
            globalSquares += values[i + 2];
            step.LayerGradientNorms.Add(new LayerGradientNorm { Layer = _layerNames[i], Norm = Math.Sqrt(values[i + 2]) });
        }

        step.GradientNorm = Math.Sqrt(globalSquares);
        return step;
    }

    private static void ClearUnset(EpochMetrics metrics, double? validationLoss, double? validationAccuracy)
    {
        if (validationLoss is null)
        {
            metrics.ClearValidationLoss();
        }

        if (validationAccuracy is null)
        {
            metrics.ClearValidationAccuracy();
        }
    }
}
