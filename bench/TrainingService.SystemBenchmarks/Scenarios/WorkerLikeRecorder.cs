using System.Threading.Channels;
using Training.V1;
using TrainingService.Core.Training;

namespace TrainingService.SystemBenchmarks.Scenarios;

/// <summary>
/// Does on the training thread what the worker's recorder does there, without a database: each step goes into
/// an unbounded channel that another thread drains in batches, and each checkpoint is serialized to bytes.
/// </summary>
internal sealed class WorkerLikeRecorder : ITrainingObserver, ICheckpointSink, IAsyncDisposable
{
    private readonly Channel<object> _pending = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly Task _drain;

    public WorkerLikeRecorder()
    {
        _drain = Task.Run(DrainAsync);
    }

    public List<EpochMetrics> Epochs { get; } = [];

    public int Checkpoints { get; private set; }

    public long StepsDrained { get; private set; }

    public void OnStep(StepMetrics metrics) => _pending.Writer.TryWrite(metrics);

    public void OnEpoch(EpochMetrics metrics)
    {
        Epochs.Add(metrics);
        _pending.Writer.TryWrite(metrics);
    }

    public void Save(TrainingCheckpoint checkpoint)
    {
        _pending.Writer.TryWrite(checkpoint.Serialize());
        Checkpoints++;
    }

    public async ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();
        await _drain;
    }

    private async Task DrainAsync()
    {
        var batch = new List<StepMetrics>();

        while (await _pending.Reader.WaitToReadAsync())
        {
            while (_pending.Reader.TryRead(out var item))
            {
                if (item is StepMetrics step)
                {
                    batch.Add(step);
                }
            }

            StepsDrained += batch.Count;
            batch.Clear();
        }
    }
}
