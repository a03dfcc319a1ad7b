using Training.V1;

namespace TrainingService.Core.Telemetry;

/// <summary>
/// The job lifecycle counts of one process, read by observable counters. Every outcome is reported from the
/// start, at zero until it happens, so that a rate over the first job's outcome already has a previous point.
/// </summary>
internal sealed class JobCounts
{
    private static readonly JobState[] Outcomes = [JobState.Succeeded, JobState.Failed, JobState.Cancelled];

    private readonly long[] _finished = new long[Outcomes.Length];
    private long _submitted;
    private long _started;

    public long Submitted => Interlocked.Read(ref _submitted);

    public long Started => Interlocked.Read(ref _started);

    public static string OutcomeName(JobState outcome) => outcome switch
    {
        JobState.Succeeded => "succeeded",
        JobState.Failed => "failed",
        JobState.Cancelled => "cancelled",
        _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "Only SUCCEEDED, FAILED and CANCELLED are final states."),
    };

    public void AddSubmitted() => Interlocked.Increment(ref _submitted);

    public void AddStarted() => Interlocked.Increment(ref _started);

    public void AddFinished(JobState outcome) => Interlocked.Increment(ref _finished[Array.IndexOf(Outcomes, outcome)]);

    public IEnumerable<System.Diagnostics.Metrics.Measurement<long>> ObserveFinished()
    {
        for (var i = 0; i < Outcomes.Length; i++)
        {
            yield return new(Interlocked.Read(ref _finished[i]), new KeyValuePair<string, object?>(TrainingInstrumentation.OutcomeTag, OutcomeName(Outcomes[i])));
        }
    }
}
