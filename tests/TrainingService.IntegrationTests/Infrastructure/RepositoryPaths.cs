using System.Reflection;

namespace TrainingService.IntegrationTests.Infrastructure;

/// <summary>Finds the repository and the build outputs of the hosts that tests start as processes.</summary>
public static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>The configuration this test assembly was built in, such as Release; the hosts are built in the same one.</summary>
    public static string Configuration { get; } =
        typeof(RepositoryPaths).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";

    public static string HostAssembly(string project, string assembly)
    {
        var path = Path.Combine(Root, "src", project, "bin", Configuration, "net10.0", assembly);
        return File.Exists(path) ? path : throw new FileNotFoundException($"{assembly} is not built; build TrainingService.sln in {Configuration} first.", path);
    }

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "TrainingService.sln")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No TrainingService.sln above {AppContext.BaseDirectory}.");
    }
}
