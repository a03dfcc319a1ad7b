using System.CommandLine;
using Training.V1;

namespace TrainingService.Cli.Commands;

/// <summary><c>trainctl submit FILE [--watch]</c>: queues the job a file describes and prints its id.</summary>
internal static class SubmitCommand
{
    public static Command Create()
    {
        var file = new Argument<FileInfo>("file")
        {
            Description = "Job file: the proto3 JSON mapping of training.v1.JobSpec, or the same in YAML (.yaml or .yml).",
        };
        var watch = new Option<bool>("--watch")
        {
            Description = "Watch the job after submitting it, and exit 0 only if it succeeds.",
        };

        var progress = ProgressOption.Create();

        var command = new Command("submit", "Submit a job and print its id.") { file, watch, progress };
        command.SetAction((result, cancellationToken) =>
            RunAsync(result, result.GetRequiredValue(file), result.GetValue(watch) ? result.GetValue(progress) : null, cancellationToken));
        return command;
    }

    /// <param name="watch">How to show progress when the job is watched after submitting it, or null not to watch it.</param>
    private static async Task<int> RunAsync(ParseResult result, FileInfo file, ProgressMode? watch, CancellationToken cancellationToken)
    {
        if (!JobFile.TryRead(file, out var spec, out var error))
        {
            await Console.Error.WriteLineAsync(error);
            return ExitCodes.InvalidRequest;
        }

        return await CommandRunner.RunAsync(result, jobId: null, async connection =>
        {
            var job = await connection.Client.SubmitJobAsync(
                new SubmitJobRequest { Spec = spec }, deadline: ServerConnection.UnaryDeadline, cancellationToken: cancellationToken);
            Console.WriteLine(job.Id);

            return watch is { } progress
                ? await new JobWatcher(connection, progress).WatchAsync(job, afterSequence: 0, cancellationToken)
                : ExitCodes.Succeeded;
        }, cancellationToken);
    }
}
