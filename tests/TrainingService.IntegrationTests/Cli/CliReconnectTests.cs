using System.Text.RegularExpressions;
using TrainingService.IntegrationTests.Infrastructure;

namespace TrainingService.IntegrationTests.Cli;

[Collection(ServiceTestGroup.Name)]
public sealed class CliReconnectTests(ServiceFixture service) : IDisposable
{
    private const int Epochs = 6;

    private readonly CliTestFiles _files = new();

    [Fact]
    public async Task Watch_ApiRestarted_ResumesWithoutGapsOrRepeats()
    {
        // Small batches keep the job running for several seconds, so the API is down while epochs still end.
        var spec = Specs.Digits(epochs: Epochs, name: "cli-reconnect");
        spec.Training.BatchSize = 2;
        var file = _files.WriteSpec("reconnect.json", spec);
        await using var watch = Trainctl.Start(["--server", service.GrpcUrl, "submit", file, "--watch", "--progress", "plain"]);

        await watch.WaitForLineAsync(line => line.StartsWith("epoch 1/", StringComparison.Ordinal), TimeSpan.FromMinutes(2));
        await service.RestartApiAsync(downtime: TimeSpan.FromSeconds(2));
        var result = await watch.WaitAsync();

        Assert.True(result.ExitCode == 0, $"{result}\n{service.Diagnostics()}");
        Assert.Contains("lost the event stream of job", result.Error);
        var epochLines = result.OutputLines.Where(line => Regex.IsMatch(line, @"^epoch \d+/\d+:")).ToList();
        Assert.Equal(Enumerable.Range(1, Epochs).Select(epoch => $"epoch {epoch}/{Epochs}:"), epochLines.Select(line => line.Split(' ')[0] + " " + line.Split(' ')[1]));
        Assert.Single(result.OutputLines, line => line.EndsWith(": RUNNING", StringComparison.Ordinal));
        Assert.Single(result.OutputLines, line => line.EndsWith(": SUCCEEDED", StringComparison.Ordinal));
        Assert.Single(result.OutputLines, line => line.StartsWith("test accuracy:", StringComparison.Ordinal));
    }

    public void Dispose() => _files.Dispose();
}
