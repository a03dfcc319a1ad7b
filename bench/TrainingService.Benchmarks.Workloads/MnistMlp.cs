using Training.V1;

namespace TrainingService.Benchmarks.Workloads;

/// <summary>
/// The job of examples/mnist-mlp.json: mnist10k with a 784-256-10 network (ReLU, dropout 0.3), AdamW with
/// learning rate 0.001 and weight decay 0.01, batches of 64, validation and test fractions 0.1 and 0.2.
/// </summary>
public static class MnistMlp
{
    public const int InputWidth = 784;
    public const int HiddenWidth = 256;
    public const int ClassCount = 10;
    public const int BatchSize = 64;
    public const double Dropout = 0.3;
    public const double LearningRate = 0.001;
    public const double WeightDecay = 0.01;

    /// <summary>
    /// Floating-point operations of one training example: 2·K·N per dense layer forward (a multiply and an
    /// add per weight), and backward counted as twice the forward, so three times the forward in all.
    /// </summary>
    /// <remarks>
    /// An estimate, as the usual rule counts it. The first layer's input needs no gradient, so libtorch skips
    /// that product and does about 2.5 times the forward, not 3. Bias, ReLU, dropout, the loss and AdamW add
    /// work that grows with the weights, not with the batch, and are left out.
    /// </remarks>
    public const double TrainingFlopsPerExample = 3 * 2.0 * ((InputWidth * HiddenWidth) + (HiddenWidth * ClassCount));

    public static JobSpec Spec(int epochs, string name = "mnist-mlp") => new()
    {
        Name = name,
        Dataset = new DatasetSpec { Name = "mnist10k", ValidationFraction = 0.1, TestFraction = 0.2 },
        Network = new NetworkSpec
        {
            Layers =
            {
                new LayerSpec { Dense = new DenseLayer { Units = HiddenWidth, Activation = Activation.Relu, Dropout = Dropout } },
                new LayerSpec { Dense = new DenseLayer { Units = ClassCount } },
            },
        },
        Optimizer = new OptimizerSpec { LearningRate = LearningRate, Adamw = new AdamWOptions() },
        Regularization = new RegularizationSpec { WeightDecay = WeightDecay },
        Training = new TrainingSettings { Epochs = epochs, BatchSize = BatchSize, Seed = 42 },
    };
}
