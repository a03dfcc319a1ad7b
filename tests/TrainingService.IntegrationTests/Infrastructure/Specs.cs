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

    /// <summary>Fits y = 2x with one weight starting at zero, full batch: the set-up of the PyTorch comparison.</summary>
    public static JobSpec LineFit(OptimizerSpec optimizer, int epochs = 50) => new()
    {
        Name = "line-fit",
        Dataset = new DatasetSpec { Name = "linear", ValidationFraction = 0, TestFraction = 0 },
        Network = new NetworkSpec
        {
            Layers = { new LayerSpec { Dense = new DenseLayer { Units = 1, Bias = false, Init = new Initialization { Kind = Init.Zeros } } } },
        },
        Optimizer = optimizer,
        Training = new TrainingSettings { Epochs = epochs, BatchSize = 64, Seed = 1, Loss = Loss.Mse },
    };
}
