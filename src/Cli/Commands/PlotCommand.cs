using System.CommandLine;
using Training.V1;
using TrainingService.Cli.Metrics;
using TrainingService.Cli.Plotting;

namespace TrainingService.Cli.Commands;

/// <summary>
/// <c>trainctl plot JOB... --out FILE.png|FILE.svg</c>: draws the jobs' training and validation loss overlaid, and
/// each job's per-layer gradient norms on a log scale.
/// </summary>
internal static class PlotCommand
{
    private const int MaxSize = 10_000;

    public static Command Create()
    {
        var jobs = new Argument<string[]>("job")
        {
            Description = "Ids of the jobs to draw; their loss curves are overlaid for comparison.",
            Arity = ArgumentArity.OneOrMore,
        };
        var output = new Option<FileInfo>("--out")
        {
            Description = "Image file to write; its extension, .png or .svg, picks the format.",
            HelpName = "file",
            Required = true,
        };
        var width = SizeOption("--width", "Image width in pixels.");
        width.DefaultValueFactory = _ => 1200;
        var height = SizeOption("--height", "Image height in pixels. Defaults to 400 for the loss panel plus 300 per job.");
        var lossScale = new Option<LossScale>("--loss-scale")
        {
            Description = "Scale of the loss axis: auto picks log when the losses span more than three orders of magnitude.",
            DefaultValueFactory = _ => LossScale.Auto,
        };

        var command = new Command("plot", "Draw loss curves and per-layer gradient norms of one or more jobs to a PNG or SVG file.")
        {
            jobs,
            output,
            width,
            height,
            lossScale,
        };
        command.Validators.Add(result =>
        {
            var file = result.GetValue(output);
            if (file is not null && file.Extension.ToLowerInvariant() is not (".png" or ".svg"))
            {
                result.AddError($"--out must name a .png or .svg file, not '{file.Name}'.");
            }
        });
        command.SetAction((result, cancellationToken) => RunAsync(result, new PlotRequest(
            result.GetRequiredValue(jobs), result.GetRequiredValue(output), result.GetValue(width), result.GetValue(height), result.GetValue(lossScale)),
            cancellationToken));
        return command;
    }

    private sealed record PlotRequest(string[] JobIds, FileInfo Output, int Width, int Height, LossScale LossScale);

    private static Option<int> SizeOption(string name, string description)
    {
        var option = new Option<int>(name) { Description = description, HelpName = "pixels" };
        option.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<int>();
            if (result.Tokens.Count > 0 && value is < 100 or > MaxSize)
            {
                result.AddError($"{name} is {value}; it must be from 100 to {MaxSize} pixels.");
            }
        });
        return option;
    }

    private static Task<int> RunAsync(ParseResult result, PlotRequest request, CancellationToken cancellationToken) =>
        CommandRunner.RunAsync(result, request.JobIds.Length == 1 ? request.JobIds[0] : null, async connection =>
        {
            var jobs = new List<JobSeries>();
            foreach (var jobId in request.JobIds)
            {
                var job = await connection.Client.GetJobAsync(
                    new GetJobRequest { JobId = jobId }, deadline: ServerConnection.UnaryDeadline, cancellationToken: cancellationToken);
                var history = await MetricsHistory.ReadAsync(connection, job.Id, includeSteps: true, cancellationToken);
                if (history.Steps.Count == 0)
                {
                    await Console.Error.WriteLineAsync($"job {job.Id} ({JobPrinter.StateName(job.State)}) has no recorded steps yet, so its lines are empty");
                }

                jobs.Add(new JobSeries(job, history));
            }

            var height = request.Height > 0 ? request.Height : 400 + (300 * jobs.Count);
            try
            {
                TrainingChart.Save(jobs, request.LossScale, request.Output.FullName, request.Width, height);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                await Console.Error.WriteLineAsync($"cannot write {request.Output}: {exception.Message}");
                return ExitCodes.InvalidRequest;
            }

            Console.WriteLine($"wrote a {request.Width}x{height} chart of {jobs.Count} job(s) to {request.Output}");
            return ExitCodes.Succeeded;
        }, cancellationToken);
}
