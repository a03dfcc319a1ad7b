using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace TrainingService.IntegrationTests.Infrastructure;

/// <summary>
/// Debian's Prometheus, run as a plain process on 127.0.0.1 with its own configuration and storage in a new
/// folder under /tmp, scraping the given targets every second. Disposing it stops the process and removes the folder.
/// </summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    /// <summary>Where Debian's prometheus package installs the server; ./test.sh installs it through scripts/prerequisites.sh.</summary>
    public const string DefaultBinary = "/usr/bin/prometheus";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly HostProcess _process;
    private readonly string _folder;
    private readonly HttpClient _http;

    private PrometheusServer(HostProcess process, string folder, string url)
    {
        _process = process;
        _folder = folder;
        Url = url;
        _http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(10) };
    }

    public string Url { get; }

    public string Output => _process.Output;

    /// <summary>Starts Prometheus with one scrape job per entry of <paramref name="targets"/> (job name to host:port) and waits until it is ready.</summary>
    public static async Task<PrometheusServer> StartAsync(IReadOnlyDictionary<string, string> targets)
    {
        var binary = Environment.GetEnvironmentVariable("TRAINING_TEST_PROMETHEUS") ?? DefaultBinary;
        if (!File.Exists(binary))
        {
            throw new InvalidOperationException(
                $"Prometheus is not installed at {binary}. Run scripts/prerequisites.sh as root (it installs Debian's prometheus package), " +
                "or set TRAINING_TEST_PROMETHEUS to the path of a prometheus binary.");
        }

        var folder = Directory.CreateTempSubdirectory("trainingservice-prometheus.").FullName;
        var configPath = Path.Combine(folder, "prometheus.yml");
        await File.WriteAllTextAsync(configPath, Configuration(targets));

        var url = $"http://127.0.0.1:{HostProcess.FreePort()}";
        var process = HostProcess.StartExecutable("prometheus", binary, folder, new Dictionary<string, string>(),
            $"--config.file={configPath}",
            $"--storage.tsdb.path={Path.Combine(folder, "data")}",
            $"--web.listen-address={new Uri(url).Authority}",
            "--storage.tsdb.retention.time=1h");

        var server = new PrometheusServer(process, folder, url);
        try
        {
            await server.WaitUntilReadyAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Runs a range query as a Grafana panel does and returns the series that have at least one finite sample.
    /// A query that Prometheus rejects throws with Prometheus's error.
    /// </summary>
    public async Task<IReadOnlyList<JsonElement>> QueryRangeAsync(string query, DateTimeOffset start, DateTimeOffset end, TimeSpan step)
    {
        var response = await GetDataAsync("/api/v1/query_range", new Dictionary<string, string>
        {
            ["query"] = query,
            ["start"] = Seconds(start),
            ["end"] = Seconds(end),
            ["step"] = step.TotalSeconds.ToString(CultureInfo.InvariantCulture),
        });

        return response.GetProperty("result").EnumerateArray()
            .Where(series => series.GetProperty("values").EnumerateArray().Any(point => IsFinite(point[1])))
            .ToList();
    }

    /// <summary>Runs an instant query at the current time and returns its series.</summary>
    public async Task<IReadOnlyList<JsonElement>> QueryAsync(string query)
    {
        var response = await GetDataAsync("/api/v1/query", new Dictionary<string, string> { ["query"] = query });
        return response.GetProperty("result").EnumerateArray().ToList();
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _process.DisposeAsync();

        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A file still open by the stopped process; the folder is under /tmp, which is cleared in time.
        }
    }

    private static string Configuration(IReadOnlyDictionary<string, string> targets)
    {
        var yaml = new StringBuilder();
        yaml.AppendLine("global:");
        yaml.AppendLine("  scrape_interval: 1s");
        yaml.AppendLine("  scrape_timeout: 1s");
        yaml.AppendLine("  evaluation_interval: 1s");
        yaml.AppendLine("scrape_configs:");

        foreach (var (job, target) in targets)
        {
            yaml.AppendLine(CultureInfo.InvariantCulture, $"  - job_name: {job}");
            yaml.AppendLine("    static_configs:");
            yaml.AppendLine(CultureInfo.InvariantCulture, $"      - targets: [\"{target}\"]");
        }

        return yaml.ToString();
    }

    private async Task WaitUntilReadyAsync()
    {
        var clock = Stopwatch.StartNew();

        while (clock.Elapsed < StartTimeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"Prometheus exited during start.\n{Output}");
            }

            try
            {
                using var response = await _http.GetAsync("/-/ready");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"Prometheus did not become ready within {StartTimeout}.\n{Output}");
    }

    private async Task<JsonElement> GetDataAsync(string path, Dictionary<string, string> parameters)
    {
        using var content = new FormUrlEncodedContent(parameters);
        var query = await content.ReadAsStringAsync();
        using var response = await _http.GetAsync($"{path}?{query}");
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        if (!response.IsSuccessStatusCode || body.GetProperty("status").GetString() != "success")
        {
            throw new InvalidOperationException($"Prometheus rejected the query {parameters["query"]}: {body}");
        }

        return body.GetProperty("data");
    }

    private static bool IsFinite(JsonElement value) =>
        double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number);

    private static string Seconds(DateTimeOffset time) => (time.ToUnixTimeMilliseconds() / 1000.0).ToString(CultureInfo.InvariantCulture);
}
