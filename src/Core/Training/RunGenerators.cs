using static TorchSharp.torch;

namespace TrainingService.Core.Training;

/// <summary>
/// The run's own random generators, one per purpose and all derived from the training seed, so weight
/// initialisation, dropout and shuffling neither read torch's global generator nor disturb each other.
/// </summary>
internal sealed class RunGenerators : IDisposable
{
    public RunGenerators(ulong seed)
    {
        Init = new Generator(seed, CPU);
        Dropout = new Generator(Mix(seed, 1), CPU);
        Shuffle = new Generator(Mix(seed, 2), CPU);
    }

    public Generator Init { get; }

    public Generator Dropout { get; }

    public Generator Shuffle { get; }

    public void Dispose()
    {
        Init.Dispose();
        Dropout.Dispose();
        Shuffle.Dispose();
    }

    /// <summary>SplitMix64's finalizer on seed + stream, so nearby seeds give unrelated generator seeds.</summary>
    private static ulong Mix(ulong seed, ulong stream)
    {
        var z = seed + stream * 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
