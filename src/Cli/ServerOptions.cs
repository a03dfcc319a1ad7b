using System.CommandLine;

namespace TrainingService.Cli;

/// <summary>The global --server option and how its value falls back to the environment.</summary>
internal static class ServerOptions
{
    public const string EnvironmentVariable = "TRAINING_SERVER";
    public const string DefaultAddress = "http://127.0.0.1:5080";

    public static Option<string> Server { get; } = new("--server")
    {
        Description = $"Address of the training service. Defaults to ${EnvironmentVariable}, else {DefaultAddress}.",
        HelpName = "url",
        Recursive = true,
    };

    /// <summary>
    /// Resolves the server address from --server, then the environment variable, then the default,
    /// and checks that it is an absolute http:// or https:// URL.
    /// </summary>
    public static bool TryResolve(ParseResult result, out Uri address, out string error)
    {
        var (value, source) = Read(result);

        var valid = Uri.TryCreate(value, UriKind.Absolute, out var parsed)
            && (parsed.Scheme == Uri.UriSchemeHttp || parsed.Scheme == Uri.UriSchemeHttps);

        address = parsed ?? new Uri(DefaultAddress);
        error = valid
            ? string.Empty
            : $"invalid server address '{value}' from {source}: expected an http:// or https:// URL such as {DefaultAddress}";
        return valid;
    }

    private static (string Value, string Source) Read(ParseResult result)
    {
        var option = result.GetValue(Server);
        if (!string.IsNullOrWhiteSpace(option))
        {
            return (option.Trim(), "--server");
        }

        var environment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(environment))
        {
            return (environment.Trim(), EnvironmentVariable);
        }

        return (DefaultAddress, "the default");
    }
}
