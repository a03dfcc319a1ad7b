using System.CommandLine;
using Google.Protobuf;
using Grpc.Core;
using Training.V1;

namespace TrainingService.Cli.Commands;

/// <summary>
/// <c>trainctl download JOB --out FILE</c>: saves a succeeded job's trained model, and its description (format, spec
/// and preprocessing) as FILE.json, so the network can be rebuilt without the service.
/// </summary>
internal static class DownloadCommand
{
    private static readonly JsonFormatter DescriptionFormatter = new(JsonFormatter.Settings.Default.WithIndentation());

    public static Command Create()
    {
        var job = JobIdArgument.Create();
        var output = new Option<FileInfo>("--out")
        {
            Description = "File for the model's bytes; its description goes to the same path with .json appended.",
            HelpName = "file",
            Required = true,
        };

        var command = new Command("download", "Download a succeeded job's trained model and its description.") { job, output };
        command.SetAction((result, cancellationToken) =>
            RunAsync(result, result.GetRequiredValue(job), result.GetRequiredValue(output), cancellationToken));
        return command;
    }

    private static Task<int> RunAsync(ParseResult result, string jobId, FileInfo output, CancellationToken cancellationToken) =>
        CommandRunner.RunAsync(result, jobId, async connection =>
        {
            var descriptionFile = output.FullName + ".json";

            // The bytes go to a side file first, so an interrupted download never leaves a truncated model at --out.
            var partial = output.FullName + ".partial";
            try
            {
                var description = await SaveModelAsync(connection, jobId, partial, cancellationToken);
                if (description is null)
                {
                    return ExitCodes.ServerError;
                }

                await File.WriteAllTextAsync(descriptionFile, DescriptionFormatter.Format(description) + Environment.NewLine, cancellationToken);
                File.Move(partial, output.FullName, overwrite: true);
                Console.WriteLine($"wrote {description.SizeBytes} bytes of {description.Format} to {output}");
                Console.WriteLine($"wrote the model description (format, spec and preprocessing) to {descriptionFile}");
                return ExitCodes.Succeeded;
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                await Console.Error.WriteLineAsync($"cannot write {output}: {exception.Message}");
                return ExitCodes.InvalidRequest;
            }
            finally
            {
                if (File.Exists(partial))
                {
                    File.Delete(partial);
                }
            }
        }, cancellationToken);

    /// <summary>Streams the model into the file at <paramref name="path"/>.</summary>
    /// <returns>The model's description, or null after printing why the stream was incomplete.</returns>
    private static async Task<ModelDescription?> SaveModelAsync(
        ServerConnection connection, string jobId, string path, CancellationToken cancellationToken)
    {
        using var call = connection.Client.DownloadModel(new DownloadModelRequest { JobId = jobId }, cancellationToken: cancellationToken);
        ModelDescription? description = null;
        long written = 0;

        await using (var stream = File.Create(path))
        {
            await foreach (var chunk in call.ResponseStream.ReadAllAsync(cancellationToken))
            {
                if (chunk.ContentCase == ModelChunk.ContentOneofCase.Description)
                {
                    description = chunk.Description;
                }
                else if (chunk.ContentCase == ModelChunk.ContentOneofCase.Data)
                {
                    await stream.WriteAsync(chunk.Data.Memory, cancellationToken);
                    written += chunk.Data.Length;
                }
            }
        }

        if (description is null || written != description.SizeBytes)
        {
            var expected = description is null ? "a description first" : $"{description.SizeBytes} bytes";
            await Console.Error.WriteLineAsync($"incomplete model download of job {jobId}: received {written} bytes, expected {expected}; try again");
            return null;
        }

        return description;
    }
}
