using System.CommandLine;
using System.Globalization;
using Training.V1;
using TrainingService.Cli.Metrics;

namespace TrainingService.Cli.Commands;

/// <summary><c>trainctl metrics JOB [--csv]</c>: prints a job's epochs as a table, or every step as CSV.</summary>
internal static class MetricsCommand
{
    private static readonly string[] EpochHeader =
        ["EPOCH", "STEP", "TRAIN LOSS", "TRAIN ACC", "VAL LOSS", "VAL ACC", "GRAD NORM", "LEARNING RATE", "SAMPLES/S", "SECONDS"];

    public static Command Create()
    {
        var job = JobIdArgument.Create();
        var csv = new Option<bool>("--csv")
        {
            Description = "Print every recorded step as CSV: step, epoch, loss, gradient norms before and after clipping, "
                + "learning rate, then one gradient norm column per layer.",
        };

        var command = new Command("metrics", "Print a job's recorded metrics: one row per epoch, or every step with --csv.") { job, csv };
        command.SetAction((result, cancellationToken) =>
            RunAsync(result, result.GetRequiredValue(job), result.GetValue(csv), cancellationToken));
        return command;
    }

    private static Task<int> RunAsync(ParseResult result, string jobId, bool csv, CancellationToken cancellationToken) =>
        CommandRunner.RunAsync(result, jobId, async connection =>
        {
            var history = await MetricsHistory.ReadAsync(connection, jobId, includeSteps: csv, cancellationToken);
            if (csv)
            {
                WriteStepsCsv(Console.Out, history);
            }
            else if (history.Epochs.Count == 0)
            {
                Console.WriteLine($"job {jobId} has no finished epoch yet");
            }
            else
            {
                TextTable.Write(Console.Out, EpochHeader, history.Epochs.Select(ToRow));
            }

            return ExitCodes.Succeeded;
        }, cancellationToken);

    /// <summary>Writes the header and one line per step. Layers are matched by name, so a missing norm is an empty cell.</summary>
    public static void WriteStepsCsv(TextWriter output, MetricsHistory history)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(history);

        var layers = history.LayerNames();
        var header = new List<string> { "step", "epoch", "loss", "gradient_norm", "clipped_gradient_norm", "learning_rate" };
        header.AddRange(layers.Select(layer => $"{layer}_gradient_norm"));
        output.WriteLine(string.Join(',', header));

        foreach (var step in history.Steps)
        {
            var norms = step.LayerGradientNorms.ToDictionary(norm => norm.Layer, norm => norm.Norm, StringComparer.Ordinal);
            var cells = new List<string>
            {
                step.Step.ToString(CultureInfo.InvariantCulture),
                step.Epoch.ToString(CultureInfo.InvariantCulture),
                Number(step.Loss),
                Number(step.GradientNorm),
                Number(step.ClippedGradientNorm),
                Number(step.LearningRate),
            };
            cells.AddRange(layers.Select(layer => norms.TryGetValue(layer, out var norm) ? Number(norm) : string.Empty));
            output.WriteLine(string.Join(',', cells));
        }
    }

    private static string[] ToRow(EpochMetrics epoch) =>
    [
        epoch.Epoch.ToString(CultureInfo.InvariantCulture),
        epoch.Step.ToString(CultureInfo.InvariantCulture),
        JobPrinter.FormatValue(epoch.TrainLoss),
        epoch.HasTrainAccuracy ? Fixed(epoch.TrainAccuracy) : "-",
        epoch.HasValidationLoss ? JobPrinter.FormatValue(epoch.ValidationLoss) : "-",
        epoch.HasValidationAccuracy ? Fixed(epoch.ValidationAccuracy) : "-",
        JobPrinter.FormatValue(epoch.GradientNorm),
        epoch.LearningRate.ToString("G4", CultureInfo.InvariantCulture),
        epoch.SamplesPerSecond.ToString("F0", CultureInfo.InvariantCulture),
        epoch.EpochSeconds.ToString("F2", CultureInfo.InvariantCulture),
    ];

    // Shortest text that parses back to the same double, so the CSV loses nothing.
    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string Fixed(double value) => value.ToString("F4", CultureInfo.InvariantCulture);
}
