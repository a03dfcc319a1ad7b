using Google.Protobuf;
using Training.V1;

namespace TrainingService.Cli;

/// <summary>Reads a job file: the proto3 JSON mapping of <see cref="JobSpec"/>.</summary>
internal static class JobFile
{
    // Unknown fields are rejected, so a misspelt field name fails here instead of silently taking its default.
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(false));

    public static bool TryRead(FileInfo file, out JobSpec spec, out string error)
    {
        ArgumentNullException.ThrowIfNull(file);

        spec = new JobSpec();
        string json;
        try
        {
            json = File.ReadAllText(file.FullName);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            error = $"cannot read job file {file}: {exception.Message}";
            return false;
        }

        try
        {
            spec = Parser.Parse<JobSpec>(json);
        }
        catch (Exception exception) when (exception is InvalidJsonException or InvalidProtocolBufferException)
        {
            error = $"invalid job file {file}: {exception.Message}";
            return false;
        }

        error = string.Empty;
        return true;
    }
}
