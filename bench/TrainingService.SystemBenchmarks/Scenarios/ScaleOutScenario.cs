using Training.V1;
using TrainingService.SystemBenchmarks.Hosts;
using TrainingService.SystemBenchmarks.Results;
using static TrainingService.SystemBenchmarks.Results.ResultTable;

namespace TrainingService.SystemBenchmarks.Scenarios;

/// <summary>
/// Many small jobs through one worker process and then through two, submitted all at once. The rate counts
/// from the first job's start to the last job's end in the jobs table. The runs table and Hangfire's state
/// history then show whether any job ran more than once.
/// </summary>
internal sealed class ScaleOutScenario(ServiceDeployment service, ResultTable table)
{
    private const string Area = "4. Scale-out";
    private const int JobsPerConfiguration = 40;
    private const int Submitters = 8;

    public async Task RunAsync()
    {
        var allJobs = new List<Guid>();
        var perMinute = new List<double>();

        foreach (var workers in new[] { 1, 2 })
        {
            while (service.Workers.Count < workers)
            {
                await service.StartWorkerAsync();
            }

            var jobs = await SubmitAllAsync($"scale-{workers}w");
            foreach (var job in jobs)
            {
                var state = await service.WaitForFinishAsync(job, TimeSpan.FromMinutes(3), TimeSpan.FromMilliseconds(100));
                if (state != "Succeeded")
                {
                    throw new InvalidOperationException($"Scale-out job {job} ended {state}.\n{service.Diagnostics()}");
                }
            }

            var (rate, distribution) = await MeasureAsync(jobs);
            perMinute.Add(rate);
            allJobs.AddRange(jobs);
            table.Add(Area, $"{workers} worker process(es), {JobsPerConfiguration} digits jobs", $"{Format(rate, "F0")} jobs/min; jobs per worker: {distribution}");
        }

        table.Add(Area, "speed-up of 2 workers over 1", $"{Format(perMinute[1] / perMinute[0], "F2")}x");
        await ProveSingleExecutionAsync(allJobs);
    }

    private async Task<List<Guid>> SubmitAllAsync(string prefix)
    {
        var next = 0;
        var jobs = new Guid[JobsPerConfiguration];

        await Task.WhenAll(Enumerable.Range(0, Submitters).Select(async _ =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next) - 1) < JobsPerConfiguration)
            {
                var job = await service.Client.SubmitJobAsync(new SubmitJobRequest { Spec = JobSpecs.SmallDigits($"{prefix}-{index}", (ulong)index) });
                jobs[index] = Guid.Parse(job.Id);
            }
        }));

        return [.. jobs];
    }

    private async Task<(double PerMinute, string Distribution)> MeasureAsync(List<Guid> jobs)
    {
        await using var span = service.Database.CreateCommand("SELECT extract(epoch FROM max(finished_at) - min(started_at)) FROM jobs WHERE id = ANY($1)");
        span.Parameters.AddWithValue(jobs.ToArray());
        var seconds = (double)(decimal)(await span.ExecuteScalarAsync())!;

        await using var perWorker = service.Database.CreateCommand("SELECT worker_name, count(*) FROM runs WHERE job_id = ANY($1) GROUP BY worker_name ORDER BY worker_name");
        perWorker.Parameters.AddWithValue(jobs.ToArray());
        var counts = new List<string>();
        await using (var reader = await perWorker.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                counts.Add(reader.GetInt64(1).ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return (jobs.Count * 60 / seconds, string.Join(" + ", counts));
    }

    /// <summary>
    /// Checks that every job has exactly one run, attempt 1, and that Hangfire moved each job's queue entry to
    /// Processing once and to Succeeded once.
    /// </summary>
    private async Task ProveSingleExecutionAsync(List<Guid> jobs)
    {
        await using var runs = service.Database.CreateCommand("""
            SELECT count(*) FILTER (WHERE run_count = 1 AND max_attempt = 1 AND job_attempt = 1)
            FROM (SELECT j.id, count(r.*) AS run_count, max(r.attempt) AS max_attempt, j.attempt AS job_attempt
                  FROM jobs j LEFT JOIN runs r ON r.job_id = j.id
                  WHERE j.id = ANY($1) GROUP BY j.id, j.attempt) AS per_job
            """);
        runs.Parameters.AddWithValue(jobs.ToArray());
        var singleRun = (long)(await runs.ExecuteScalarAsync())!;

        await using var states = service.Database.CreateCommand("""
            SELECT count(*) FILTER (WHERE processing = 1 AND succeeded = 1)
            FROM (SELECT j.id,
                         count(s.*) FILTER (WHERE s.name = 'Processing') AS processing,
                         count(s.*) FILTER (WHERE s.name = 'Succeeded') AS succeeded
                  FROM jobs j LEFT JOIN hangfire.state s ON s.jobid = j.queue_job_id::bigint
                  WHERE j.id = ANY($1) GROUP BY j.id) AS per_job
            """);
        states.Parameters.AddWithValue(jobs.ToArray());
        var singleProcessing = (long)(await states.ExecuteScalarAsync())!;

        table.Add(Area, $"jobs with exactly one run, attempt 1 (runs table), of {jobs.Count}", $"{singleRun}", $"{jobs.Count}", singleRun == jobs.Count);
        table.Add(Area, $"jobs Hangfire moved to Processing once and Succeeded once (hangfire.state), of {jobs.Count}",
            $"{singleProcessing}", $"{jobs.Count}", singleProcessing == jobs.Count);
    }
}
