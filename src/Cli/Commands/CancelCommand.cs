using System.CommandLine;
using Training.V1;

namespace TrainingService.Cli.Commands;

/// <summary><c>trainctl cancel JOB</c>: cancels a queued or running job.</summary>
internal static class CancelCommand
{
    public static Command Create()
    {
        var job = JobIdArgument.Create();

        var command = new Command("cancel", "Cancel a queued or running job and print its state.") { job };
        command.SetAction((result, cancellationToken) => RunAsync(result, result.GetRequiredValue(job), cancellationToken));
        return command;
    }

    private static Task<int> RunAsync(ParseResult result, string jobId, CancellationToken cancellationToken) =>
        CommandRunner.RunAsync(result, jobId, async connection =>
        {
            var job = await connection.Client.CancelJobAsync(
                new CancelJobRequest { JobId = jobId }, deadline: ServerConnection.UnaryDeadline, cancellationToken: cancellationToken);
            Console.WriteLine($"job {job.Id}: {JobPrinter.StateName(job.State)}");
            return ExitCodes.Succeeded;
        }, cancellationToken);
}
