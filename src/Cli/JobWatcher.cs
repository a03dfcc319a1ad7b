using System.Diagnostics;
using Grpc.Core;
using Training.V1;

namespace TrainingService.Cli;

/// <summary>
/// Streams a job's events and prints them until the stream ends, reconnecting after UNAVAILABLE
/// with the last sequence number seen, so no event is lost or printed twice.
/// </summary>
internal sealed class JobWatcher(ServerConnection connection, ProgressMode progress)
{
    // 1 + 2 + 4 + 8 + 8 + 8 = 31 s of waiting before a watch gives up on a server that stays unavailable.
    private static readonly TimeSpan[] ReconnectDelays =
        [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4),
         TimeSpan.FromSeconds(8), TimeSpan.FromSeconds(8), TimeSpan.FromSeconds(8)];

    // A stream that stayed open this long, or delivered an event, ends an outage and so restores the full retry budget.
    private static readonly TimeSpan HealthyStreamDuration = TimeSpan.FromSeconds(10);

    private long _lastSequence;
    private JobState _finalState = JobState.Unspecified;
    private string _finalReason = string.Empty;
    private bool _resultPrinted;
    private WatchDisplay _display = null!;

    /// <param name="job">The job as the server last returned it, for its id and the number of epochs.</param>
    /// <param name="afterSequence">Events up to and including this sequence number are skipped.</param>
    /// <returns>
    /// 0 when the job succeeded, 1 when it failed or was cancelled, 4 when the server kept ending the stream
    /// before the job finished.
    /// </returns>
    /// <exception cref="RpcException">The server rejected the watch, or stayed unavailable past the retry budget.</exception>
    public async Task<int> WatchAsync(Job job, long afterSequence, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);

        _lastSequence = afterSequence;
        _display = new WatchDisplay(Console.Out, job, progress);
        var failedAttempts = 0;
        while (true)
        {
            var stream = Stopwatch.StartNew();
            var sequenceBefore = _lastSequence;
            RpcException? failure = null;
            try
            {
                var exitCode = await WatchOnceAsync(job, cancellationToken);
                if (exitCode is not null)
                {
                    return exitCode.Value;
                }
            }
            catch (RpcException exception) when (exception.StatusCode == StatusCode.Unavailable && !cancellationToken.IsCancellationRequested)
            {
                failure = exception;
            }

            if (_lastSequence != sequenceBefore || stream.Elapsed >= HealthyStreamDuration)
            {
                failedAttempts = 0;
            }

            _display.ClearBar();
            if (failedAttempts == ReconnectDelays.Length)
            {
                await Console.Error.WriteLineAsync(
                    $"gave up watching job {job.Id} after {failedAttempts} reconnect attempts over {TotalDelaySeconds()} s");
                return failure is null ? ExitCodes.ServerError : throw failure;
            }

            var delay = ReconnectDelays[failedAttempts++];
            var reason = failure?.Status.Detail ?? "the stream ended before the job finished";
            await Console.Error.WriteLineAsync(
                $"lost the event stream of job {job.Id} ({reason}); reconnecting in {delay.TotalSeconds:0} s "
                + $"after event {_lastSequence} (attempt {failedAttempts} of {ReconnectDelays.Length})");
            await Task.Delay(delay, cancellationToken);
        }
    }

    /// <summary>Reads one stream to its end.</summary>
    /// <returns>The exit code when the job has finished; null when the stream ended before that.</returns>
    private async Task<int?> WatchOnceAsync(Job job, CancellationToken cancellationToken)
    {
        await ReadEventsAsync(job.Id, cancellationToken);
        if (_finalState != JobState.Unspecified && (_finalState != JobState.Succeeded || _resultPrinted))
        {
            _display.Summary(job.Id, _finalState, _finalReason);
            return ExitCodeFor(_finalState);
        }

        // Either the stream ended without the job's final event, or the job succeeded without a result event.
        // If the job did finish, its record contains the outcome. If not, the server dropped the stream early,
        // so the caller reconnects.
        var current = await connection.Client.GetJobAsync(
            new GetJobRequest { JobId = job.Id }, deadline: ServerConnection.UnaryDeadline, cancellationToken: cancellationToken);
        if (!JobPrinter.IsFinal(current.State))
        {
            return null;
        }

        _display.ClearBar();
        if (_finalState == JobState.Unspecified)
        {
            Console.WriteLine($"job {current.Id}: {JobPrinter.StateName(current.State)}");
        }

        JobPrinter.WriteOutcome(Console.Out, current);
        _display.Summary(job.Id, current.State, current.FailureReason);
        return ExitCodeFor(current.State);
    }

    private async Task ReadEventsAsync(string jobId, CancellationToken cancellationToken)
    {
        using var call = connection.Client.WatchJob(
            new WatchJobRequest { JobId = jobId, AfterSequence = _lastSequence }, cancellationToken: cancellationToken);

        await foreach (var jobEvent in call.ResponseStream.ReadAllAsync(cancellationToken))
        {
            // The server sends only later events after a reconnect, but the check keeps a repeated one off the screen anyway.
            if (jobEvent.Sequence <= _lastSequence)
            {
                continue;
            }

            _lastSequence = jobEvent.Sequence;
            Print(jobId, jobEvent);
        }
    }

    private void Print(string jobId, JobEvent jobEvent)
    {
        switch (jobEvent.EventCase)
        {
            case JobEvent.EventOneofCase.StateChanged:
                _display.StateChanged(jobId, jobEvent.StateChanged);
                if (JobPrinter.IsFinal(jobEvent.StateChanged.State))
                {
                    _finalState = jobEvent.StateChanged.State;
                    _finalReason = jobEvent.StateChanged.Reason;
                }

                break;

            case JobEvent.EventOneofCase.Epoch:
                _display.Epoch(jobEvent.Epoch);
                break;

            case JobEvent.EventOneofCase.Step:
                _display.Step(jobEvent.Step, jobEvent.Time?.ToDateTimeOffset() ?? DateTimeOffset.UtcNow);
                break;

            case JobEvent.EventOneofCase.Result:
                _display.Result(jobEvent.Result);
                _resultPrinted = true;
                break;

            default:
                // Skipping an event kind that is newer than this client keeps the watch going.
                break;
        }
    }

    private static int ExitCodeFor(JobState state) =>
        state == JobState.Succeeded ? ExitCodes.Succeeded : ExitCodes.JobFailed;

    private static double TotalDelaySeconds() => ReconnectDelays.Sum(delay => delay.TotalSeconds);
}
