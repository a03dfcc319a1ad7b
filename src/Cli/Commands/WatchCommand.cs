using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Training.V1;

namespace TrainingService.Cli.Commands;

/// <summary><c>trainctl watch JOB [--after N]</c>: prints a job's events until it finishes.</summary>
internal static class WatchCommand
{
    public static Command Create()
    {
        var job = JobIdArgument.Create();
        var after = new Option<long>("--after")
        {
            Description = "Print only events with a sequence number above N; 0 prints the job's whole history.",
            HelpName = "N",
            CustomParser = ParseSequence,
        };

        var progress = ProgressOption.Create();

        var command = new Command("watch",
            "Print a job's state changes, progress, epochs and result until it finishes, then a summary; exit 0 only if it succeeds.")
        {
            job,
            after,
            progress,
        };
        command.SetAction((result, cancellationToken) =>
            RunAsync(result, result.GetRequiredValue(job), result.GetValue(after), result.GetValue(progress), cancellationToken));
        return command;
    }

    private static long ParseSequence(ArgumentResult result)
    {
        var token = result.Tokens.Count == 1 ? result.Tokens[0].Value : string.Empty;
        if (!long.TryParse(token, NumberStyles.Integer, CultureInfo.InvariantCulture, out var sequence) || sequence < 0)
        {
            result.AddError($"Invalid --after value '{token}': expected a sequence number, 0 or more.");
        }

        return sequence;
    }

    private static Task<int> RunAsync(ParseResult result, string jobId, long after, ProgressMode progress, CancellationToken cancellationToken) =>
        CommandRunner.RunAsync(result, jobId, async connection =>
        {
            // The events do not contain the number of epochs in the spec, so the job is read first.
            var job = await connection.Client.GetJobAsync(
                new GetJobRequest { JobId = jobId }, deadline: ServerConnection.UnaryDeadline, cancellationToken: cancellationToken);
            return await new JobWatcher(connection, progress).WatchAsync(job, after, cancellationToken);
        }, cancellationToken);
}
