using System.Text.Json;

namespace TrainingService.IntegrationTests.Infrastructure;

/// <summary>One PromQL query of a Grafana panel, as deploy/grafana/dashboards stores it.</summary>
public sealed record PanelQuery(string Dashboard, string Panel, string RefId, string Expression)
{
    public override string ToString() => $"{Dashboard} / {Panel} [{RefId}]: {Expression}";

    /// <summary>
    /// Returns the expression with Grafana's variables replaced as Grafana would for one job: $job_id by the
    /// job's id and $__rate_interval by <paramref name="rateInterval"/>. Throws on any other variable, so a new
    /// one is not tested by accident with its name in place.
    /// </summary>
    public string ForJob(string jobId, string rateInterval)
    {
        var expression = Expression.Replace("$__rate_interval", rateInterval, StringComparison.Ordinal)
            .Replace("$job_id", jobId, StringComparison.Ordinal);

        return expression.Contains('$', StringComparison.Ordinal)
            ? throw new InvalidOperationException($"{this} uses a Grafana variable that the test does not substitute.")
            : expression;
    }
}

/// <summary>Reads every panel query of the provisioned Grafana dashboards.</summary>
public static class DashboardQueries
{
    public static string Folder { get; } = Path.Combine(RepositoryPaths.Root, "deploy", "grafana", "dashboards");

    public static IReadOnlyList<PanelQuery> ReadAll()
    {
        var queries = new List<PanelQuery>();

        foreach (var path in Directory.GetFiles(Folder, "*.json").Order(StringComparer.Ordinal))
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            var title = document.RootElement.GetProperty("title").GetString()!;
            AddPanels(title, document.RootElement.GetProperty("panels"), queries);
        }

        return queries;
    }

    private static void AddPanels(string dashboard, JsonElement panels, List<PanelQuery> queries)
    {
        foreach (var panel in panels.EnumerateArray())
        {
            // A row panel contains its collapsed panels.
            if (panel.TryGetProperty("panels", out var nested))
            {
                AddPanels(dashboard, nested, queries);
            }

            if (!panel.TryGetProperty("targets", out var targets))
            {
                continue;
            }

            var title = panel.GetProperty("title").GetString()!;
            foreach (var target in targets.EnumerateArray())
            {
                queries.Add(new PanelQuery(dashboard, title, target.GetProperty("refId").GetString()!, target.GetProperty("expr").GetString()!));
            }
        }
    }
}
