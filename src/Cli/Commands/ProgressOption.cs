using System.CommandLine;

namespace TrainingService.Cli.Commands;

/// <summary>The --progress option that watch and submit --watch share.</summary>
internal static class ProgressOption
{
    public static Option<ProgressMode> Create() => new("--progress")
    {
        Description = "How to show steps: bar redraws one line per epoch, plain prints a sampled step line every 5 s; "
            + "auto uses bar when standard output is a terminal, else plain.",
        DefaultValueFactory = _ => ProgressMode.Auto,
    };
}
