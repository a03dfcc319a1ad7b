using System.Diagnostics;
using Hangfire.Client;
using TrainingService.Core.Telemetry;
using TrainingService.Persistence.Queue;

namespace TrainingService.Api.Telemetry;

/// <summary>
/// Wraps the creation of each Hangfire job in an "enqueue training" span and stores that span's W3C trace
/// context as job parameters, which the worker's server filter restores, so one trace runs from SubmitJob
/// through the queue into training.
/// </summary>
internal sealed class TraceContextClientFilter(TrainingInstrumentation instrumentation) : IClientFilter
{
    private const string ActivityItem = "TrainingService.Activity";

    public void OnCreating(CreatingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);

        var activity = instrumentation.ActivitySource.StartActivity("enqueue " + QueueSetup.TrainingQueue, ActivityKind.Producer);
        if (activity is not null)
        {
            activity.SetTag("messaging.system", "hangfire");
            activity.SetTag("messaging.operation.type", "send");
            activity.SetTag("messaging.destination.name", QueueSetup.TrainingQueue);
            context.Items[ActivityItem] = activity;
        }

        // Without a sampled span of its own the job still joins the caller's trace, when there is one.
        var current = activity ?? Activity.Current;
        if (TraceParent.Format(current) is { } traceParent)
        {
            context.SetJobParameter(TraceParent.TraceParentParameter, traceParent);

            if (!string.IsNullOrEmpty(current!.TraceStateString))
            {
                context.SetJobParameter(TraceParent.TraceStateParameter, current.TraceStateString);
            }
        }
    }

    public void OnCreated(CreatedContext context)
    {
        ArgumentNullException.ThrowIfNull(context);

        if (!context.Items.TryGetValue(ActivityItem, out var item) || item is not Activity activity)
        {
            return;
        }

        if (context.Exception is { } exception)
        {
            activity.SetStatus(ActivityStatusCode.Error, exception.Message);
            activity.SetTag("error.type", exception.GetType().FullName);
        }
        else if (context.BackgroundJob is { } job)
        {
            activity.SetTag("messaging.message.id", job.Id);
        }

        activity.Dispose();
    }
}
