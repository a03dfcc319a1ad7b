using Google.Protobuf;
using Training.V1;

namespace TrainingService.IntegrationTests.Cli;

/// <summary>A temporary folder for the job, input and output files of one test class, deleted with it.</summary>
public sealed class CliTestFiles : IDisposable
{
    public CliTestFiles() => Directory.CreateDirectory(Folder);

    public string Folder { get; } = Path.Combine(Path.GetTempPath(), "trainctl-tests-" + Guid.NewGuid().ToString("N"));

    public string PathOf(string name) => Path.Combine(Folder, name);

    /// <summary>Writes a spec as a JSON job file and returns its path.</summary>
    public string WriteSpec(string name, JobSpec spec) => Write(name, JsonFormatter.Default.Format(spec));

    public string Write(string name, string text)
    {
        var path = PathOf(name);
        File.WriteAllText(path, text);
        return path;
    }

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}
