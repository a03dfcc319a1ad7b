using System.CommandLine;
using Training.V1;

namespace TrainingService.Cli.Commands;

/// <summary><c>trainctl get JOB</c>: prints one job.</summary>
internal static class GetCommand
{
    public static Command Create()
    {
        var job = JobIdArgument.Create();

        var command = new Command("get", "Print a job: its state, times, attempt, latest metrics and result or failure reason.") { job };
        command.SetAction((result, cancellationToken) => RunAsync(result, result.GetRequiredValue(job), cancellationToken));
        return command;
    }

    private static Task<int> RunAsync(ParseResult result, string jobId, CancellationToken cancellationToken) =>
        CommandRunner.RunAsync(result, jobId, async connection =>
        {
            var job = await connection.Client.GetJobAsync(
                new GetJobRequest { JobId = jobId }, deadline: ServerConnection.UnaryDeadline, cancellationToken: cancellationToken);
            JobPrinter.WriteJob(Console.Out, job);
            return ExitCodes.Succeeded;
        }, cancellationToken);
}
