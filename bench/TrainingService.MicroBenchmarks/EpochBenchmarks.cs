using BenchmarkDotNet.Attributes;
using Training.V1;
using TrainingService.Benchmarks.Workloads;
using TrainingService.Core.Datasets;
using TrainingService.Core.Training;
using TorchSharp;

namespace TrainingService.MicroBenchmarks;

/// <summary>
/// One epoch of mnist10k's training split (7,000 examples, 110 steps of 64) through the bare TorchSharp loop
/// and through the trainer's own epoch loop. The trainer's observer queues each step as the worker's does,
/// and a checkpoint is serialized every 500 steps. No validation split, so the trainer's epoch is training alone.
/// </summary>
public class EpochBenchmarks
{
    private PreparedData _data = null!;
    private BareTrainingLoop _bare = null!;
    private TrainerEpoch _trainer = null!;

    [GlobalSetup]
    public void Setup()
    {
        torch.set_num_threads(Environment.ProcessorCount);
        _data = PreparedData.Prepare(MnistMlp.Spec(epochs: 1000));
        _bare = new BareTrainingLoop(_data.Splits.Train, seed: 42);
        _trainer = new TrainerEpoch(MnistMlp.Spec(epochs: 1000), _data);
    }

    [Benchmark(Baseline = true)]
    public double BareLoop() => _bare.TrainEpoch();

    [Benchmark]
    public EpochMetrics Trainer() => _trainer.Train();

    [GlobalCleanup]
    public void Cleanup()
    {
        _bare.Dispose();
        _trainer.Dispose();
    }
}
