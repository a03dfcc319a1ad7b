using System.Globalization;

namespace TrainingService.SystemBenchmarks.Measurements;

/// <summary>Reads a process's resident set size from /proc/PID/status, as the kernel reports it (VmRSS).</summary>
internal static class ProcessMemory
{
    /// <summary>The resident set size in MiB, or NaN when the process is gone.</summary>
    public static double ResidentMiB(int processId)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{processId}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    var kib = long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                    return kib / 1024.0;
                }
            }
        }
        catch (IOException)
        {
            // The process exited between two reads.
        }

        return double.NaN;
    }
}

/// <summary>Samples a process's resident set size on a timer until disposed and keeps the largest value.</summary>
internal sealed class PeakMemorySampler : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampling;

    public PeakMemorySampler(int processId, TimeSpan interval)
    {
        _sampling = SampleAsync(processId, interval, _stop.Token);
    }

    public double PeakMiB { get; private set; }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _sampling;
        _stop.Dispose();
    }

    private async Task SampleAsync(int processId, TimeSpan interval, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval);

        try
        {
            do
            {
                var resident = ProcessMemory.ResidentMiB(processId);
                if (resident > PeakMiB)
                {
                    PeakMiB = resident;
                }
            }
            while (await timer.WaitForNextTickAsync(cancellationToken));
        }
        catch (OperationCanceledException)
        {
            // Disposed: sampling is over.
        }
    }
}
