using Training.V1;
using TrainingService.Core.Datasets;
using TrainingService.Core.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace TrainingService.Core.Tests;

/// <summary>
/// Numbers PyTorch 1.13 gives for the same set-ups. The fit is of y = 2x on x = linspace(-1, 1, 64), full batch,
/// one weight without bias starting at zero, mean squared error, 50 steps.
/// </summary>
public class PyTorchParityTests
{
    private const double RelativeTolerance = 1e-4;

    public static TheoryData<string, OptimizerSpec, double> LineFits => new()
    {
        { "Adam lr 0.1", new OptimizerSpec { LearningRate = 0.1, Adam = new AdamOptions() }, 2.075764 },
        { "SGD lr 0.1", new OptimizerSpec { LearningRate = 0.1, Sgd = new SgdOptions() }, 1.943301 },
        { "SGD lr 0.1 momentum 0.9", new OptimizerSpec { LearningRate = 0.1, Sgd = new SgdOptions { Momentum = 0.9 } }, 1.882293 },
        { "SGD lr 0.1 momentum 0.9 Nesterov", new OptimizerSpec { LearningRate = 0.1, Sgd = new SgdOptions { Momentum = 0.9, Nesterov = true } }, 1.978849 },
    };

    [Theory]
    [MemberData(nameof(LineFits))]
    public void LineFit_FiftyFullBatchSteps_MatchesPyTorch(string setup, OptimizerSpec optimizer, double expectedWeight)
    {
        var spec = LineFitSpec(optimizer);

        var result = Trainer.Train(spec, PreparedData.Prepare(spec), new NullObserver(), CancellationToken.None);

        var weight = Predictor.PredictPreprocessed(spec, result.ModelState, [1f]).Outputs[0];
        Assert.Equal(50, result.Steps);
        Assert.True(Math.Abs(weight - expectedWeight) <= RelativeTolerance * expectedWeight,
            $"{setup}: weight {weight:F6}, PyTorch {expectedWeight:F6}");
    }

    [Fact]
    public void SigmoidNeuron_OneSgdStep_MatchesHandComputation()
    {
        // y = sigmoid(w x + b), x = 1.5, target 1, w = 0.3, b = 0, loss (y - t)^2 / 2.
        using var neuron = nn.Linear(1, 1, dtype: ScalarType.Float64);
        using (torch.no_grad())
        {
            neuron.weight!.fill_(0.3);
            neuron.bias!.fill_(0);
        }

        using var optimizer = optim.SGD(neuron.parameters(), 0.1);
        using var x = torch.tensor(new[] { 1.5 }, [1, 1]);
        using var y = torch.sigmoid(neuron.forward(x));
        using var loss = (y - 1).square().sum() / 2;
        loss.backward();

        var weightGradient = neuron.weight!.grad!.item<double>();
        var biasGradient = neuron.bias!.grad!.item<double>();
        optimizer.step();

        Assert.Equal(-0.138861, weightGradient, 6);
        Assert.Equal(-0.092574, biasGradient, 6);
        Assert.Equal(0.313886, neuron.weight!.item<double>(), 6);
    }

    internal static JobSpec LineFitSpec(OptimizerSpec optimizer) => new()
    {
        Name = "line-fit",
        Dataset = new DatasetSpec
        {
            Name = "linear",
            ValidationFraction = 0,
            TestFraction = 0,
            Synthetic = new SyntheticOptions { Points = 64, Slope = 2 },
        },
        Network = new NetworkSpec
        {
            Layers = { new LayerSpec { Dense = new DenseLayer { Units = 1, Bias = false, Init = new Initialization { Kind = Init.Zeros } } } },
        },
        Optimizer = optimizer,
        Training = new TrainingSettings { Epochs = 50, BatchSize = 64, Seed = 1, Loss = Loss.Mse },
    };

    private sealed class NullObserver : ITrainingObserver
    {
        public void OnStep(StepMetrics metrics)
        {
        }

        public void OnEpoch(EpochMetrics metrics)
        {
        }
    }
}
