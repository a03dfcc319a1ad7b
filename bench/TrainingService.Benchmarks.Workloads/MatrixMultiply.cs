using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace TrainingService.Benchmarks.Workloads;

/// <summary>
/// A large float32 matrix product, torch.mm of two random square matrices, as the measure of the machine's
/// peak floating-point rate through libtorch.
/// </summary>
public sealed class MatrixMultiply : IDisposable
{
    private readonly Tensor _left;
    private readonly Tensor _right;

    public MatrixMultiply(int size = 2048)
    {
        Size = size;
        using var generator = new Generator(1, CPU);
        _left = torch.rand(size, size, generator: generator);
        _right = torch.rand(size, size, generator: generator);
    }

    public int Size { get; }

    /// <summary>Floating-point operations of one product: a multiply and an add for each of size³ terms.</summary>
    public double Flops => 2.0 * Size * Size * Size;

    public void Multiply()
    {
        using var product = torch.mm(_left, _right);
    }

    /// <summary>Runs one product to warm up, then <paramref name="repeats"/> timed ones, and returns each one's FLOP/s.</summary>
    public IReadOnlyList<double> MeasureFlopsPerSecond(int repeats)
    {
        Multiply();
        var rates = new List<double>(repeats);

        for (var i = 0; i < repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            Multiply();
            rates.Add(Flops / clock.Elapsed.TotalSeconds);
        }

        return rates;
    }

    public void Dispose()
    {
        _left.Dispose();
        _right.Dispose();
    }
}
