using System.Diagnostics;
using Hangfire.Server;
using TrainingService.Core.Telemetry;
using TrainingService.Persistence.Queue;

namespace TrainingService.Worker.Telemetry;

/// <summary>
/// Restores the trace context that the API stored with a Hangfire job and starts a "process training" span
/// under it, so that the runner's spans join the trace of the job's SubmitJob call. A job without a stored
/// context starts a new trace.
/// </summary>
/// <remarks>
/// Hangfire calls OnPerforming, the job and OnPerformed synchronously on one worker thread, so the span set
/// as <see cref="Activity.Current"/> here is the current one while the job runs.
/// </remarks>
internal sealed class TraceContextServerFilter(TrainingInstrumentation instrumentation) : IServerFilter
{
    private const string ActivityItem = "TrainingService.Activity";

    public void OnPerforming(PerformingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);

        TraceParent.TryParse(
            context.GetJobParameter<string>(TraceParent.TraceParentParameter),
            context.GetJobParameter<string>(TraceParent.TraceStateParameter),
            out var parent);

        var activity = instrumentation.ActivitySource.StartActivity("process " + QueueSetup.TrainingQueue, ActivityKind.Consumer, parent);
        if (activity is null)
        {
            return;
        }

        activity.SetTag("messaging.system", "hangfire");
        activity.SetTag("messaging.operation.type", "process");
        activity.SetTag("messaging.destination.name", QueueSetup.TrainingQueue);
        activity.SetTag("messaging.message.id", context.BackgroundJob.Id);
        context.Items[ActivityItem] = activity;
    }

    public void OnPerformed(PerformedContext context)
    {
        ArgumentNullException.ThrowIfNull(context);

        if (!context.Items.TryGetValue(ActivityItem, out var item) || item is not Activity activity)
        {
            return;
        }

        if (context.Exception is { } exception && !context.Canceled)
        {
            activity.SetStatus(ActivityStatusCode.Error, exception.Message);
            activity.SetTag("error.type", exception.GetType().FullName);
        }

        activity.Dispose();
    }
}
