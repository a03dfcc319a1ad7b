using System.CommandLine;
using Training.V1;

namespace TrainingService.Cli.Commands;

/// <summary><c>trainctl list [--state S]</c>: prints every job, newest first, as a table.</summary>
internal static class ListCommand
{
    private static readonly Dictionary<string, JobState> States = new(StringComparer.Ordinal)
    {
        ["queued"] = JobState.Queued,
        ["running"] = JobState.Running,
        ["succeeded"] = JobState.Succeeded,
        ["failed"] = JobState.Failed,
        ["cancelled"] = JobState.Cancelled,
    };

    public static Command Create()
    {
        var state = new Option<string>("--state") { Description = "List only jobs in this state." };
        state.AcceptOnlyFromAmong([.. States.Keys]);

        var command = new Command("list", "List jobs, newest first.") { state };
        command.SetAction((result, cancellationToken) => RunAsync(result, result.GetValue(state), cancellationToken));
        return command;
    }

    private static Task<int> RunAsync(ParseResult result, string? state, CancellationToken cancellationToken) =>
        CommandRunner.RunAsync(result, jobId: null, async connection =>
        {
            var request = new ListJobsRequest { State = state is null ? JobState.Unspecified : States[state] };
            var jobs = await ReadAllPagesAsync(connection, request, cancellationToken);

            if (jobs.Count == 0)
            {
                Console.WriteLine(state is null ? "no jobs" : $"no {state} jobs");
            }
            else
            {
                JobPrinter.WriteTable(Console.Out, jobs);
            }

            return ExitCodes.Succeeded;
        }, cancellationToken);

    private static async Task<List<Job>> ReadAllPagesAsync(
        ServerConnection connection, ListJobsRequest request, CancellationToken cancellationToken)
    {
        var jobs = new List<Job>();
        var seenTokens = new HashSet<string>(StringComparer.Ordinal);
        do
        {
            var page = await connection.Client.ListJobsAsync(
                request, deadline: ServerConnection.UnaryDeadline, cancellationToken: cancellationToken);
            jobs.AddRange(page.Jobs);

            // A server that hands out a token twice would otherwise keep this loop going forever.
            request.PageToken = seenTokens.Add(page.NextPageToken) ? page.NextPageToken : string.Empty;
        }
        while (request.PageToken.Length > 0);

        return jobs;
    }
}
