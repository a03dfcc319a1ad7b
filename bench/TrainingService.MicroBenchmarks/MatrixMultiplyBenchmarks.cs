using BenchmarkDotNet.Attributes;
using TrainingService.Benchmarks.Workloads;
using TorchSharp;

namespace TrainingService.MicroBenchmarks;

/// <summary>The machine's peak float32 rate through libtorch: 2·2048³ FLOPs per operation.</summary>
public class MatrixMultiplyBenchmarks
{
    private MatrixMultiply _product = null!;

    [GlobalSetup]
    public void Setup()
    {
        torch.set_num_threads(Environment.ProcessorCount);
        _product = new MatrixMultiply(2048);
    }

    [Benchmark]
    public void TorchMm2048() => _product.Multiply();

    [GlobalCleanup]
    public void Cleanup() => _product.Dispose();
}
