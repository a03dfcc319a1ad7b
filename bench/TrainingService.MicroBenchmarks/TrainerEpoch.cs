using System.Threading.Channels;
using Training.V1;
using TrainingService.Core.Datasets;
using TrainingService.Core.Training;

namespace TrainingService.MicroBenchmarks;

/// <summary>The trainer's moving parts for one spec, set up once, so that each call trains exactly one more epoch.</summary>
internal sealed class TrainerEpoch : IDisposable
{
    private readonly RunGenerators _generators;
    private readonly Network _network;
    private readonly TorchSharp.Modules.OptimizerHelper _optimizer;
    private readonly DeviceSplit _train;
    private readonly DeviceSplit _noValidation;
    private readonly EarlyStopper _earlyStopper;
    private readonly QueueingObserver _observer = new();
    private readonly RunState _run;
    private int _epoch;

    public TrainerEpoch(JobSpec spec, PreparedData data)
    {
        var loss = LossSelection.Resolve(spec.Training.Loss, data.Info);
        _generators = new RunGenerators(spec.Training.Seed);
        _network = NetworkBuilder.Build(spec, data.Splits.Train.FeatureCount, LossSelection.OutputWidth(loss, data.Info), _generators.Init, _generators.Dropout);
        _optimizer = (TorchSharp.Modules.OptimizerHelper)OptimizerFactory.Create(spec.Optimizer, spec.Regularization, _network.Module.parameters());
        _train = DeviceSplit.Create(data.Splits.Train, loss);
        _noValidation = DeviceSplit.Create(data.Splits.Train.Subset("empty", []), loss);
        _earlyStopper = new EarlyStopper(spec.Regularization?.EarlyStopping);

        var checkpoints = new CheckpointOptions(_observer, new CheckpointPolicy(EverySteps: 500, Every: TimeSpan.FromSeconds(30)));
        _run = new RunState(spec, _network, _optimizer, loss, _generators, _earlyStopper, _observer, checkpoints);
    }

    public EpochMetrics Train() => _run.TrainEpoch(++_epoch, _train, _noValidation, CancellationToken.None);

    public void Dispose()
    {
        _earlyStopper.Dispose();
        _noValidation.Dispose();
        _train.Dispose();
        _optimizer.Dispose();
        _network.Dispose();
        _generators.Dispose();
    }

    /// <summary>Queues steps in a channel that nothing reads, and serializes checkpoints, as the worker's recorder does on the training thread.</summary>
    private sealed class QueueingObserver : ITrainingObserver, ICheckpointSink
    {
        private readonly Channel<object> _pending = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

        public void OnStep(StepMetrics metrics)
        {
            _pending.Writer.TryWrite(metrics);

            // Nothing stores the steps, so drop them as the worker's writer would once stored.
            while (_pending.Reader.TryRead(out _))
            {
            }
        }

        public void OnEpoch(EpochMetrics metrics) => _pending.Writer.TryWrite(metrics);

        public void Save(TrainingCheckpoint checkpoint) => _pending.Writer.TryWrite(checkpoint.Serialize());
    }
}
