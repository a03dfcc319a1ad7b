using System.Threading.Channels;
using Training.V1;
using TrainingService.Core.Training;
using TrainingService.Persistence;

namespace TrainingService.Worker;

/// <summary>
/// Writes a run's measurements and checkpoints to PostgreSQL off the training thread. Steps gather in batches.
/// An epoch's row and a checkpoint are written after the steps before them, so the stored history keeps the
/// order it happened in and a checkpoint never gets ahead of the metrics it covers. Writes are retried through
/// database outages while training goes on.
/// </summary>
internal sealed class ProgressRecorder : ITrainingObserver, ICheckpointSink, IAsyncDisposable
{
    private const int MaxBatchSize = 1000;

    private readonly Channel<object> _pending = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly List<StepMetrics> _steps = [];
    private readonly List<StepMetrics> _sampledSteps = [];
    private readonly CancellationTokenSource _abandon = new();
    private readonly JobStore _store;
    private readonly AttemptStart _attempt;
    private readonly WorkerOptions _options;
    private readonly ILogger _logger;
    private readonly Task _writer;
    private DateTime _lastSample = DateTime.MinValue;

    public ProgressRecorder(JobStore store, AttemptStart attempt, WorkerOptions options, ILogger logger)
    {
        _store = store;
        _attempt = attempt;
        _options = options;
        _logger = logger;
        LastStep = attempt.CheckpointStep;
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>The step count of the latest step handed to the recorder.</summary>
    public long LastStep { get; private set; }

    public void OnStep(StepMetrics metrics)
    {
        LastStep = metrics.Step;
        var now = DateTime.UtcNow;
        var sampled = now - _lastSample >= _options.StepEventInterval;

        if (sampled)
        {
            _lastSample = now;
        }

        _pending.Writer.TryWrite(new PendingStep(metrics, sampled));
    }

    public void OnEpoch(EpochMetrics metrics) => _pending.Writer.TryWrite(metrics);

    public void Save(TrainingCheckpoint checkpoint) =>
        _pending.Writer.TryWrite(new PendingCheckpoint(checkpoint.Step, checkpoint.Epoch, checkpoint.Serialize()));

    /// <summary>Waits until everything recorded so far is stored; throws what made the writes stop.</summary>
    public async Task DrainAsync()
    {
        _pending.Writer.TryComplete();
        await _writer;
    }

    /// <summary>Drains for at most <paramref name="timeout"/>, then gives up on what is left; returns whether all was stored.</summary>
    public async Task<bool> TryDrainAsync(TimeSpan timeout)
    {
        _pending.Writer.TryComplete();
        var finished = await Task.WhenAny(_writer, Task.Delay(timeout)) == _writer;

        if (!finished)
        {
            await _abandon.CancelAsync();
        }

        return finished && _writer.IsCompletedSuccessfully;
    }

    public async ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();
        await _abandon.CancelAsync();

        try
        {
            await _writer;
        }
        catch (Exception exception) when (exception is OperationCanceledException or StaleAttemptException || DatabaseErrors.IsTransient(exception))
        {
            // DrainAsync already surfaced the fault where the outcome mattered; disposal only stops the writer.
        }

        _abandon.Dispose();
    }

    private async Task WriteLoopAsync()
    {
        while (await _pending.Reader.WaitToReadAsync())
        {
            while (_pending.Reader.TryRead(out var item))
            {
                await WriteAsync(item);
            }

            await FlushStepsAsync();
            await Task.Delay(_options.MetricsFlushInterval);
        }

        await FlushStepsAsync();
    }

    private async Task WriteAsync(object item)
    {
        switch (item)
        {
            case PendingStep step:
                _steps.Add(step.Metrics);
                if (step.Sampled)
                {
                    _sampledSteps.Add(step.Metrics);
                }

                if (_steps.Count >= MaxBatchSize)
                {
                    await FlushStepsAsync();
                }

                break;

            case EpochMetrics epoch:
                await FlushStepsAsync();
                await RetryAsync(() => _store.RecordEpochAsync(_attempt.JobId, _attempt.Attempt, epoch, CancellationToken.None));
                break;

            case PendingCheckpoint checkpoint:
                await FlushStepsAsync();
                await RetryAsync(() => _store.SaveCheckpointAsync(_attempt.JobId, _attempt.Attempt, checkpoint.Step, checkpoint.Epoch, checkpoint.State, CancellationToken.None));
                break;
        }
    }

    private async Task FlushStepsAsync()
    {
        if (_steps.Count == 0)
        {
            return;
        }

        var steps = _steps.ToArray();
        var sampled = _sampledSteps.ToArray();
        await RetryAsync(() => _store.AppendStepsAsync(_attempt.JobId, _attempt.Attempt, steps, sampled, CancellationToken.None));
        _steps.Clear();
        _sampledSteps.Clear();
    }

    private Task RetryAsync(Func<Task> write) => StoreRetry.RunAsync(write, _logger, _attempt.JobId, _abandon.Token);

    private sealed record PendingStep(StepMetrics Metrics, bool Sampled);

    private sealed record PendingCheckpoint(long Step, int Epoch, byte[] State);
}
