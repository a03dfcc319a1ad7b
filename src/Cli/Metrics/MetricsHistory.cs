using Training.V1;

namespace TrainingService.Cli.Metrics;

/// <summary>A job's whole stored metric history: every step and every epoch, oldest first.</summary>
internal sealed record MetricsHistory(IReadOnlyList<StepMetrics> Steps, IReadOnlyList<EpochMetrics> Epochs)
{
    // The server's largest page; fewer round trips for a long run.
    private const int PageSize = 10_000;

    /// <summary>Reads every page of GetMetrics, or only the epochs when <paramref name="includeSteps"/> is false.</summary>
    public static async Task<MetricsHistory> ReadAsync(
        ServerConnection connection, string jobId, bool includeSteps, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);

        var steps = new List<StepMetrics>();
        var request = new GetMetricsRequest { JobId = jobId, MaxSteps = includeSteps ? PageSize : 1 };
        GetMetricsResponse page;
        do
        {
            page = await connection.Client.GetMetricsAsync(
                request, deadline: ServerConnection.UnaryDeadline, cancellationToken: cancellationToken);
            steps.AddRange(page.Steps);

            // A server that returned the same cursor again would otherwise keep this loop going forever.
            var advanced = page.NextAfterStep > request.AfterStep;
            request.AfterStep = includeSteps && advanced ? page.NextAfterStep : 0;
        }
        while (request.AfterStep != 0);

        return new MetricsHistory(includeSteps ? steps : [], [.. page.Epochs]);
    }

    /// <summary>The layer names in network order, as the first step lists them.</summary>
    public IReadOnlyList<string> LayerNames() =>
        Steps.Count > 0 ? [.. Steps[0].LayerGradientNorms.Select(norm => norm.Layer)]
        : Epochs.Count > 0 ? [.. Epochs[0].LayerGradientNorms.Select(norm => norm.Layer)]
        : [];
}
