using System.CommandLine;
using System.CommandLine.Invocation;
using TrainingService.Cli;
using TrainingService.Cli.Commands;

var root = new RootCommand("trainctl: submit, watch and manage jobs of the training service, and read their metrics, plots and models.")
{
    SubmitCommand.Create(),
    WatchCommand.Create(),
    GetCommand.Create(),
    ListCommand.Create(),
    CancelCommand.Create(),
    MetricsCommand.Create(),
    PlotCommand.Create(),
    DownloadCommand.Create(),
    PredictCommand.Create(),
};

foreach (var option in ServerOptions.All)
{
    root.Options.Add(option);
}

// Without the default handler a bug ends trainctl with the runtime's crash code and stack trace,
// instead of exit 1, which means that a job failed.
var configuration = new InvocationConfiguration { EnableDefaultExceptionHandler = false };

var parseResult = root.Parse(args);
var exitCode = await parseResult.InvokeAsync(configuration);

// System.CommandLine exits 1 after a parse error, but trainctl keeps 1 for a failed job and uses 2 for bad usage.
return parseResult.Action is ParseErrorAction ? ExitCodes.InvalidRequest : exitCode;
