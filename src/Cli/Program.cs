using System.CommandLine;
using System.CommandLine.Invocation;
using TrainingService.Cli;
using TrainingService.Cli.Commands;

var root = new RootCommand("trainctl: submit, watch and manage jobs of the training service.")
{
    ServerOptions.Server,
    SubmitCommand.Create(),
    WatchCommand.Create(),
    GetCommand.Create(),
    ListCommand.Create(),
    CancelCommand.Create(),
};

// Without the default handler a bug ends trainctl with the runtime's crash code and stack trace,
// instead of exit 1, which means that a job failed.
var configuration = new InvocationConfiguration { EnableDefaultExceptionHandler = false };

var parseResult = root.Parse(args);
var exitCode = await parseResult.InvokeAsync(configuration);

// System.CommandLine exits 1 after a parse error, but trainctl keeps 1 for a failed job and uses 2 for bad usage.
return parseResult.Action is ParseErrorAction ? ExitCodes.InvalidRequest : exitCode;
