using System.Text.Json;

namespace TrainingService.SystemBenchmarks.Results;

/// <summary>One BenchmarkDotNet result: the benchmark's type and method, and the median time of one operation.</summary>
internal sealed record MicroBenchmarkResult(string Type, string Method, double MedianNanoseconds);

/// <summary>Reads the medians from the full JSON reports that BenchmarkDotNet's JsonExporter writes (*-report-full.json).</summary>
internal static class MicroBenchmarkResults
{
    public static IReadOnlyList<MicroBenchmarkResult> Read(string? directory)
    {
        if (directory is null || !Directory.Exists(directory))
        {
            return [];
        }

        var results = new List<MicroBenchmarkResult>();
        foreach (var path in Directory.EnumerateFiles(directory, "*-report-full.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            foreach (var benchmark in document.RootElement.GetProperty("Benchmarks").EnumerateArray())
            {
                if (benchmark.TryGetProperty("Statistics", out var statistics) && statistics.ValueKind == JsonValueKind.Object)
                {
                    results.Add(new MicroBenchmarkResult(
                        benchmark.GetProperty("Type").GetString()!,
                        benchmark.GetProperty("Method").GetString()!,
                        statistics.GetProperty("Median").GetDouble()));
                }
            }
        }

        return results;
    }
}
