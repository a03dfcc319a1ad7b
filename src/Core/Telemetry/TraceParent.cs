using System.Diagnostics;

namespace TrainingService.Core.Telemetry;

/// <summary>
/// The W3C trace context that travels with a queued job, so that the worker's spans join the trace of the
/// SubmitJob call. The queue stores both values as job parameters under these names.
/// </summary>
public static class TraceParent
{
    /// <summary>The job parameter that stores the W3C traceparent header value.</summary>
    public const string TraceParentParameter = "traceparent";

    /// <summary>The job parameter that stores the W3C tracestate header value, when there is one.</summary>
    public const string TraceStateParameter = "tracestate";

    /// <summary>Returns the traceparent of <paramref name="activity"/>, or null when it is missing or not in W3C format.</summary>
    public static string? Format(Activity? activity) =>
        activity is { IdFormat: ActivityIdFormat.W3C } ? activity.Id : null;

    /// <summary>Parses a stored traceparent and tracestate; returns false when the traceparent is missing or malformed.</summary>
    public static bool TryParse(string? traceParent, string? traceState, out ActivityContext context)
    {
        if (string.IsNullOrEmpty(traceParent))
        {
            context = default;
            return false;
        }

        return ActivityContext.TryParse(traceParent, traceState, isRemote: true, out context);
    }
}
