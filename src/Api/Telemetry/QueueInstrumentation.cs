using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Training.V1;
using TrainingService.Persistence;

namespace TrainingService.Api.Telemetry;

/// <summary>
/// The meter of the queue as PostgreSQL stores it: jobs waiting for a worker and jobs being trained. The
/// counts come from one query, made when a reader collects and reused for <see cref="CacheDuration"/>, so
/// several readers and API replicas cost at most one query per replica in that time.
/// </summary>
public sealed class QueueInstrumentation : IDisposable
{
    public const string MeterName = "TrainingService.Queue";

    /// <summary>How long collections reuse one count of the jobs table.</summary>
    public static readonly TimeSpan CacheDuration = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan QueryTimeout = TimeSpan.FromSeconds(5);

    private readonly IDbContextFactory<TrainingDbContext> _contexts;
    private readonly ILogger<QueueInstrumentation> _logger;
    private readonly Lock _gate = new();
    private (long Queued, long Running)? _counts;
    private long _countedAt;
    private bool _lastQueryFailed;

    public QueueInstrumentation(IDbContextFactory<TrainingDbContext> contexts, ILogger<QueueInstrumentation> logger, IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(contexts);
        ArgumentNullException.ThrowIfNull(logger);

        _contexts = contexts;
        _logger = logger;
        Meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        Meter.CreateObservableGauge("training.queue.depth", () => Observe(counts => counts.Queued), "{job}",
            "Jobs in the QUEUED state: stored and waiting for a worker.");
        Meter.CreateObservableGauge("training.jobs.running", () => Observe(counts => counts.Running), "{job}",
            "Jobs in the RUNNING state: taken by a worker and not yet finished.");
    }

    public Meter Meter { get; }

    public void Dispose() => Meter.Dispose();

    private IEnumerable<Measurement<long>> Observe(Func<(long Queued, long Running), long> select)
    {
        // A failed count reports no point, so a dashboard shows a gap instead of a wrong zero.
        return GetCounts() is { } counts ? [new Measurement<long>(select(counts))] : [];
    }

    private (long Queued, long Running)? GetCounts()
    {
        lock (_gate)
        {
            if (_counts is not null && Stopwatch.GetElapsedTime(_countedAt) < CacheDuration)
            {
                return _counts;
            }

            _counts = QueryCounts();
            _countedAt = Stopwatch.GetTimestamp();
            return _counts;
        }
    }

    private (long Queued, long Running)? QueryCounts()
    {
        try
        {
            using var db = _contexts.CreateDbContext();
            db.Database.SetCommandTimeout(QueryTimeout);

            // Metric callbacks are synchronous, so the collecting thread waits for this one query on the (state, created_at) index.
            var rows = db.Jobs.AsNoTracking()
                .Where(j => j.State == JobState.Queued || j.State == JobState.Running)
                .GroupBy(j => j.State)
                .Select(g => new { State = g.Key, Count = g.LongCount() })
                .ToList();

            _lastQueryFailed = false;
            return (rows.Where(r => r.State == JobState.Queued).Sum(r => r.Count), rows.Where(r => r.State == JobState.Running).Sum(r => r.Count));
        }
        catch (Exception exception) when (exception is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            // Logged once per run of failures, because collections repeat every few seconds.
            if (!_lastQueryFailed)
            {
                _logger.QueueCountFailed(exception);
                _lastQueryFailed = true;
            }

            return null;
        }
    }
}
