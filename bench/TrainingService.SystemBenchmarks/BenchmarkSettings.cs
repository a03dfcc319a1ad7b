using System.Globalization;

namespace TrainingService.SystemBenchmarks;

/// <summary>Where the runner finds the PostgreSQL server and the built hosts, and where it writes its results and logs.</summary>
internal sealed record BenchmarkSettings(
    string ServerConnectionString,
    string RepositoryRoot,
    string ResultsDirectory,
    string? MicroResultsDirectory,
    string? PidFile,
    IReadOnlySet<string> Scenarios)
{
    /// <summary>The scenario names that --only accepts, in the order the runner runs them.</summary>
    public static readonly string[] AllScenarios = ["throughput", "writes", "sequential", "scale-out", "load"];

    public string ApiAssembly => HostAssembly("Api", "TrainingService.Api.dll");

    public string WorkerAssembly => HostAssembly("Worker", "TrainingService.Worker.dll");

    public string LogDirectory => Path.Combine(ResultsDirectory, "logs");

    public const string Usage = """
        Usage: TrainingService.SystemBenchmarks --postgres CONNECTION_STRING [--results DIR] [--micro-results DIR] [--pid-file FILE] [--only NAMES]

          --postgres       Npgsql connection string of a PostgreSQL server where the user may create databases
                           (also from TRAINING_BENCH_POSTGRES); the runner creates a database of its own there
          --results        folder for results.md, results.json and the hosts' logs (default artifacts/bench)
          --micro-results  BenchmarkDotNet's results folder, whose *-report-full.json files join the table
          --pid-file       file to which the id of every process the runner starts is appended, one a line
          --only           comma-separated scenarios to run, of throughput, writes, sequential, scale-out and load
                           (default all); writes needs throughput
        """;

    /// <summary>Reads the command line; returns null and prints the usage when it is invalid.</summary>
    public static BenchmarkSettings? Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] is not ("--postgres" or "--results" or "--micro-results" or "--pid-file" or "--only") || i + 1 >= args.Length)
            {
                Console.Error.WriteLine($"Unknown argument or missing value: '{args[i]}'.\n{Usage}");
                return null;
            }

            values[args[i]] = args[++i];
        }

        var server = values.GetValueOrDefault("--postgres") ?? Environment.GetEnvironmentVariable("TRAINING_BENCH_POSTGRES");
        if (string.IsNullOrWhiteSpace(server))
        {
            Console.Error.WriteLine($"Missing the PostgreSQL server: pass --postgres or set TRAINING_BENCH_POSTGRES.\n{Usage}");
            return null;
        }

        var scenarios = values.TryGetValue("--only", out var only) ? only.Split(',', StringSplitOptions.TrimEntries).ToHashSet() : AllScenarios.ToHashSet();
        if (scenarios.FirstOrDefault(name => !AllScenarios.Contains(name)) is { } unknown)
        {
            Console.Error.WriteLine($"Unknown scenario '{unknown}'; use {string.Join(", ", AllScenarios)}.\n{Usage}");
            return null;
        }

        var root = FindRepositoryRoot();
        var results = Path.GetFullPath(values.GetValueOrDefault("--results") ?? Path.Combine(root, "artifacts", "bench"));
        return new BenchmarkSettings(server, root, results, values.GetValueOrDefault("--micro-results"), values.GetValueOrDefault("--pid-file"), scenarios);
    }

    private string HostAssembly(string project, string assembly)
    {
        var path = Path.Combine(RepositoryRoot, "src", project, "bin", "Release", "net10.0", assembly);
        return File.Exists(path) ? path : throw new FileNotFoundException($"{assembly} is not built; run dotnet build TrainingService.sln -c Release first.", path);
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "TrainingService.sln")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException(string.Format(CultureInfo.InvariantCulture, "No TrainingService.sln above {0}.", AppContext.BaseDirectory));
    }
}
