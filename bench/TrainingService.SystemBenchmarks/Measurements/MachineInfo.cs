using System.Globalization;
using System.Runtime.InteropServices;

namespace TrainingService.SystemBenchmarks.Measurements;

/// <summary>What the numbers were measured on, read from /proc when the run starts.</summary>
internal sealed record MachineInfo(string Processor, int Cores, double MemoryGiB, string Runtime, string Os)
{
    public static MachineInfo Read()
    {
        var processor = File.ReadLines("/proc/cpuinfo")
            .FirstOrDefault(line => line.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown";
        var memoryKib = File.ReadLines("/proc/meminfo")
            .First(line => line.StartsWith("MemTotal:", StringComparison.Ordinal))["MemTotal:".Length..].Trim().Split(' ')[0];

        return new MachineInfo(processor, Environment.ProcessorCount,
            long.Parse(memoryKib, CultureInfo.InvariantCulture) / 1024.0 / 1024.0,
            RuntimeInformation.FrameworkDescription, RuntimeInformation.OSDescription);
    }

    /// <summary>The 1, 5 and 15 minute load averages, as uptime prints them.</summary>
    public static string LoadAverage() => string.Join(", ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
}
