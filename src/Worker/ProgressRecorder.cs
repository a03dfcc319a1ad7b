using System.Threading.Channels;
using Npgsql;
using Training.V1;
using TrainingService.Core.Training;
using TrainingService.Persistence;

namespace TrainingService.Worker;

/// <summary>
/// Writes a run's measurements to PostgreSQL off the training thread. Steps gather in batches; an epoch's
/// row is written after the steps before it, so the stored history keeps the order it happened in. Failed
/// writes are retried with back-off before the recorder gives up and faults.
/// </summary>
internal sealed class ProgressRecorder : ITrainingObserver, IAsyncDisposable
{
    private const int MaxBatchSize = 1000;
    private const int MaxWriteTries = 6;

    private readonly Channel<object> _pending = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly List<StepMetrics> _steps = [];
    private readonly List<StepMetrics> _sampledSteps = [];
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

    /// <summary>Waits until everything recorded so far is stored; throws what made the writes give up.</summary>
    public async Task DrainAsync()
    {
        _pending.Writer.TryComplete();
        await _writer;
    }

    public async ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();

        try
        {
            await _writer;
        }
        catch (Exception exception) when (exception is NpgsqlException or StaleAttemptException or TimeoutException)
        {
            // DrainAsync already surfaced the fault where the outcome mattered; disposal only stops the writer.
        }
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
                await WithRetriesAsync(() => _store.RecordEpochAsync(_attempt.JobId, _attempt.Attempt, epoch, CancellationToken.None));
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
        await WithRetriesAsync(() => _store.AppendStepsAsync(_attempt.JobId, _attempt.Attempt, steps, sampled, CancellationToken.None));
        _steps.Clear();
        _sampledSteps.Clear();
    }

    private async Task WithRetriesAsync(Func<Task> write)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await write();
                return;
            }
            catch (Exception exception) when (exception is NpgsqlException or TimeoutException && attempt < MaxWriteTries)
            {
                var delay = 250 * (1 << attempt);
                _logger.MetricsWriteRetry(exception, _attempt.JobId, attempt, MaxWriteTries, delay);
                await Task.Delay(delay);
            }
        }
    }

    private sealed record PendingStep(StepMetrics Metrics, bool Sampled);
}
