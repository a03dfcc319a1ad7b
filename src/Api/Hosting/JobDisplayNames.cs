using System.Collections.Concurrent;
using Hangfire;
using Hangfire.Common;
using Hangfire.Dashboard;
using Microsoft.EntityFrameworkCore;
using TrainingService.Persistence;
using TrainingService.Persistence.Queue;

namespace TrainingService.Api.Hosting;

/// <summary>
/// Names each training job in the Hangfire dashboard by the job's name and id. A Hangfire job carries only the
/// job id, so the name is read from PostgreSQL once per job and kept, because a job's name never changes.
/// </summary>
internal sealed class JobDisplayNames(IDbContextFactory<TrainingDbContext> contexts)
{
    // Bounds the memory of a long-lived API; when full, the cache starts over and names are read again.
    private const int MaxCachedNames = 10_000;

    private readonly ConcurrentDictionary<Guid, string> _names = new();

    /// <summary>Formats a job for <see cref="DashboardOptions.DisplayNameFunc"/>.</summary>
    public string Format(DashboardContext context, Job job)
    {
        ArgumentNullException.ThrowIfNull(job);

        if (job.Type == typeof(ITrainingJobRunner) && job.Args.Count > 0 && job.Args[0] is Guid jobId)
        {
            return $"Train job {FindName(jobId)} ({jobId})";
        }

        return job.ToString();
    }

    private string FindName(Guid jobId)
    {
        if (_names.TryGetValue(jobId, out var cached))
        {
            return cached;
        }

        using var db = contexts.CreateDbContext();
        var name = db.Jobs.AsNoTracking().Where(j => j.Id == jobId).Select(j => j.Name).SingleOrDefault();
        if (name is null)
        {
            // Not cached: the job may be deleted for good, and this keeps such ids from filling the cache.
            return "(not in the jobs table)";
        }

        if (_names.Count >= MaxCachedNames)
        {
            _names.Clear();
        }

        _names[jobId] = name;
        return name;
    }
}
