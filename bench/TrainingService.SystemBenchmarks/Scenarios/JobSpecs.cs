using Training.V1;

namespace TrainingService.SystemBenchmarks.Scenarios;

/// <summary>The small jobs of the latency, memory and scale-out scenarios.</summary>
internal static class JobSpecs
{
    /// <summary>One epoch of digits (1,257 training examples) with a 64-unit hidden layer: 40 steps of 32, a few hundred milliseconds of work.</summary>
    public static JobSpec SmallDigits(string name, ulong seed, int batchSize = 32, int epochs = 1) => new()
    {
        Name = name,
        Dataset = new DatasetSpec { Name = "digits", ValidationFraction = 0.1, TestFraction = 0.2 },
        Network = new NetworkSpec
        {
            Layers =
            {
                new LayerSpec { Dense = new DenseLayer { Units = 64, Activation = Activation.Relu } },
                new LayerSpec { Dense = new DenseLayer { Units = 10 } },
            },
        },
        Optimizer = new OptimizerSpec { LearningRate = 1e-2, Adam = new AdamOptions() },
        Training = new TrainingSettings { Epochs = epochs, BatchSize = batchSize, Seed = seed },
    };
}
