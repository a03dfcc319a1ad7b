using System.CommandLine;
using System.Globalization;
using System.Text.RegularExpressions;
using Google.Rpc;
using Grpc.Core;
using Training.V1;
using TrainingService.Cli.Predictions;

namespace TrainingService.Cli.Commands;

/// <summary>
/// <c>trainctl predict JOB --input FILE [--output text|csv]</c>: runs a succeeded job's model on rows of raw feature
/// values and prints one line per row.
/// </summary>
internal static partial class PredictCommand
{
    // Well under the server's limit of 10000 rows a request, so each request stays small.
    private const int RowsPerRequest = 1_000;

    public static Command Create()
    {
        var job = JobIdArgument.Create();
        var input = new Option<FileInfo>("--input")
        {
            Description = "CSV file with one row of raw feature values per line (an optional header line, '#' comments), "
                + "or a .json file holding an array of rows, each an array of numbers.",
            HelpName = "file",
            Required = true,
        };
        var output = new Option<string>("--output")
        {
            Description = "text: one readable line per row; csv: a header, then the row number, predicted class and outputs.",
            HelpName = "format",
            DefaultValueFactory = _ => "text",
        };
        output.AcceptOnlyFromAmong("text", "csv");

        var command = new Command("predict",
            "Run a succeeded job's model on input rows and print each row's predicted class and probabilities, or values for regression.")
        {
            job,
            input,
            output,
        };
        command.SetAction((result, cancellationToken) => RunAsync(
            result, result.GetRequiredValue(job), result.GetRequiredValue(input), result.GetValue(output) == "csv", cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult result, string jobId, FileInfo input, bool csv, CancellationToken cancellationToken)
    {
        if (!InputRows.TryRead(input, out var rows, out var error))
        {
            await Console.Error.WriteLineAsync(error);
            return ExitCodes.InvalidRequest;
        }

        return await CommandRunner.RunAsync(result, jobId, async connection =>
        {
            // Every batch is predicted before anything is printed, so a bad row in a later batch leaves no
            // partial output behind for a script to mistake for the whole result.
            var responses = new List<(PredictResponse Response, int Offset)>();
            for (var offset = 0; offset < rows.Count; offset += RowsPerRequest)
            {
                var batch = rows.Skip(offset).Take(RowsPerRequest).ToList();
                var request = new PredictRequest { JobId = jobId };
                request.Rows.AddRange(batch.Select(row => new InputRow { Values = { row.Values } }));

                PredictResponse response;
                try
                {
                    response = await connection.Client.PredictAsync(
                        request, deadline: ServerConnection.UnaryDeadline, cancellationToken: cancellationToken);
                }
                catch (RpcException exception) when (exception.StatusCode == StatusCode.InvalidArgument)
                {
                    ReportInvalidRows(exception, rows, offset, input);
                    return ExitCodes.InvalidRequest;
                }

                responses.Add((response, offset));
            }

            var writer = new PredictionWriter(Console.Out, csv);
            foreach (var (response, offset) in responses)
            {
                writer.Write(response, offset);
            }

            return ExitCodes.Succeeded;
        }, cancellationToken);
    }

    // The server numbers rows within one request, so each violation is renumbered to the file's row and its line.
    private static void ReportInvalidRows(RpcException exception, List<InputRowLine> rows, int offset, FileInfo input)
    {
        Console.Error.WriteLine($"invalid input rows in {input}: {exception.Status.Detail}");

        var violations = exception.GetRpcStatus()?.GetDetail<BadRequest>()?.FieldViolations ?? [];
        foreach (var violation in violations)
        {
            var match = RowField().Match(violation.Field);
            if (!match.Success)
            {
                Console.Error.WriteLine($"  {violation.Field}: {violation.Description}");
                continue;
            }

            var index = offset + int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            var location = index < rows.Count ? $" ({rows[index].Location})" : string.Empty;
            Console.Error.WriteLine($"  rows[{index}]{match.Groups[2].Value}{location}: {violation.Description}");
        }
    }

    [GeneratedRegex(@"^rows\[(\d+)\](.*)$")]
    private static partial Regex RowField();
}
