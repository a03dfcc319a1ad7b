using Training.V1;

namespace TrainingService.Core.Tests;

/// <summary>Valid job specs for tests to start from and break one field at a time.</summary>
internal static class TestSpecs
{
    public static JobSpec Digits(int epochs = 5) => new()
    {
        Name = "digits-test",
        Dataset = new DatasetSpec { Name = "digits", ValidationFraction = 0.1, TestFraction = 0.2 },
        Network = new NetworkSpec
        {
            Layers =
            {
                new LayerSpec { Dense = new DenseLayer { Units = 64, Activation = Activation.Relu, Dropout = 0.1 } },
                new LayerSpec { Dense = new DenseLayer { Units = 10 } },
            },
        },
        Optimizer = new OptimizerSpec { LearningRate = 1e-2, Adam = new AdamOptions() },
        Regularization = new RegularizationSpec(),
        Training = new TrainingSettings { Epochs = epochs, BatchSize = 32, Seed = 11 },
    };

    public static JobSpec MnistMlp() => new()
    {
        Name = "mnist-mlp",
        Dataset = new DatasetSpec { Name = "mnist10k", ValidationFraction = 0.1, TestFraction = 0.2 },
        Network = new NetworkSpec
        {
            Layers =
            {
                new LayerSpec { Dense = new DenseLayer { Units = 256, Activation = Activation.Relu, Dropout = 0.3 } },
                new LayerSpec { Dense = new DenseLayer { Units = 10 } },
            },
        },
        Optimizer = new OptimizerSpec { LearningRate = 1e-3, Adamw = new AdamWOptions() },
        Regularization = new RegularizationSpec { WeightDecay = 1e-2 },
        Training = new TrainingSettings { Epochs = 10, BatchSize = 64, Seed = 42 },
    };
}
