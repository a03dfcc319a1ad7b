using Google.Protobuf;
using Training.V1;
using YamlDotNet.Core;

namespace TrainingService.Cli;

/// <summary>
/// Reads a job file: the proto3 JSON mapping of <see cref="JobSpec"/>, or the same structure in YAML when the file
/// name ends in .yaml or .yml. Field names may be lowerCamelCase or the proto's snake_case.
/// </summary>
internal static class JobFile
{
    // Unknown fields are rejected, so a misspelt field name fails here instead of silently taking its default.
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(false));

    public static bool IsYaml(FileInfo file) =>
        file.Extension.Equals(".yaml", StringComparison.OrdinalIgnoreCase)
        || file.Extension.Equals(".yml", StringComparison.OrdinalIgnoreCase);

    public static bool TryRead(FileInfo file, out JobSpec spec, out string error)
    {
        ArgumentNullException.ThrowIfNull(file);

        spec = new JobSpec();
        string text;
        try
        {
            text = File.ReadAllText(file.FullName);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            error = $"cannot read job file {file}: {exception.Message}";
            return false;
        }

        if (IsYaml(file) && !TryConvertYaml(file, text, out text, out error))
        {
            return false;
        }

        try
        {
            spec = Parser.Parse<JobSpec>(text);
        }
        catch (Exception exception) when (exception is InvalidJsonException or InvalidProtocolBufferException)
        {
            error = $"invalid job file {file}: {exception.Message}";
            return false;
        }

        error = string.Empty;
        return true;
    }

    private static bool TryConvertYaml(FileInfo file, string yaml, out string json, out string error)
    {
        try
        {
            json = YamlToJson.Convert(yaml);
            error = string.Empty;
            return true;
        }
        catch (YamlException exception)
        {
            json = string.Empty;
            error = $"invalid YAML in job file {file} at line {exception.Start.Line}, column {exception.Start.Column}: {Innermost(exception).Message}";
            return false;
        }
    }

    private static Exception Innermost(Exception exception)
    {
        while (exception.InnerException is not null)
        {
            exception = exception.InnerException;
        }

        return exception;
    }
}
