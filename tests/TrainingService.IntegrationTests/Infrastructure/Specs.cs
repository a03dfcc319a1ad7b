using Training.V1;

namespace TrainingService.IntegrationTests.Infrastructure;

/// <summary>Small, valid specs that train in seconds.</summary>
internal static class Specs
{
    public static JobSpec Digits(int epochs = 3, string name = "digits-e2e") => new()
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
        Regularization = new RegularizationSpec { Dropout = 0.1 },
        Training = new TrainingSettings { Epochs = epochs, BatchSize = 32, Seed = 7 },
    };
}
