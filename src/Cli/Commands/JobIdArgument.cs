using System.CommandLine;

namespace TrainingService.Cli.Commands;

/// <summary>The JOB argument that watch, get and cancel share.</summary>
internal static class JobIdArgument
{
    public static Argument<string> Create()
    {
        var argument = new Argument<string>("job") { Description = "Id of the job, as submit or list printed it." };
        argument.Validators.Add(result =>
        {
            if (string.IsNullOrWhiteSpace(result.GetValueOrDefault<string>()))
            {
                result.AddError("The job id must not be empty.");
            }
        });
        return argument;
    }
}
