using Training.V1;
using TrainingService.Core.Datasets;
using TrainingService.Core.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace TrainingService.Core.Tests;

/// <summary>The mechanics of training a user must be able to see in what the core reports.</summary>
public class TrainingBehaviourTests
{
    [Fact]
    public void DeepSigmoidNetwork_FirstLayerGradientVanishes_ReluDoesNot()
    {
        var sigmoid = MeanLayerNorms(DeepSpec(Activation.Sigmoid));
        var relu = MeanLayerNorms(DeepSpec(Activation.Relu));

        var sigmoidRatio = sigmoid["dense0"] / sigmoid["dense9"];
        var reluRatio = relu["dense0"] / relu["dense9"];
        Assert.True(sigmoidRatio < 1e-3, $"sigmoid: first/last layer gradient norm {sigmoidRatio:E2}");
        Assert.True(reluRatio > 1e-2, $"relu: first/last layer gradient norm {reluRatio:E2}");
    }

    [Fact]
    public void HugeLearningRate_StopsAsDivergedNamingStepAndRate()
    {
        var spec = PyTorchParityTests.LineFitSpec(new OptimizerSpec { LearningRate = 1e3, Sgd = new SgdOptions() });
        var observer = new RecordingObserver();

        var error = Assert.Throws<TrainingDivergedException>(() => Trainer.Train(spec, PreparedData.Prepare(spec), observer, CancellationToken.None));

        Assert.Contains($"at step {error.Step}", error.Message);
        Assert.Contains("learning rate 1000", error.Message);
        Assert.Equal(error.Step - 1, observer.Steps.Count);
        Assert.All(observer.Steps, step => Assert.True(double.IsFinite(step.Loss)));
        Assert.True(observer.Steps[^1].Loss > observer.Steps[0].Loss * 1e6, "the loss grows before it overflows");
    }

    [Fact]
    public void TinyLearningRate_LossBarelyMoves()
    {
        var spec = PyTorchParityTests.LineFitSpec(new OptimizerSpec { LearningRate = 1e-6, Sgd = new SgdOptions() });
        var observer = new RecordingObserver();

        Trainer.Train(spec, PreparedData.Prepare(spec), observer, CancellationToken.None);

        var first = observer.Steps[0].Loss;
        var last = observer.Steps[^1].Loss;
        Assert.True(Math.Abs(first - last) / first < 1e-3, $"loss went from {first} to {last}");
    }

    [Fact]
    public void Dropout_ChangesOutputsInTrainModeOnly()
    {
        var spec = TestSpecs.Digits();
        spec.Network.Layers[0].Dense.Dropout = 0.5;
        using var generator = new Generator(9, CPU);
        using var network = NetworkBuilder.Build(spec, 64, 10, generator, generator);
        using var input = torch.rand([16, 64], generator: generator);

        network.Module.train();
        using var trainFirst = network.Module.forward(input);
        using var trainSecond = network.Module.forward(input);
        network.Module.eval();
        using var evalFirst = network.Module.forward(input);
        using var evalSecond = network.Module.forward(input);

        Assert.False(trainFirst.allclose(trainSecond), "two train-mode passes gave the same outputs");
        Assert.True(evalFirst.allclose(evalSecond, rtol: 0, atol: 0), "two eval-mode passes differ");
        Assert.False(trainFirst.allclose(evalFirst), "train mode gave the eval-mode outputs");
    }

    [Fact]
    public void SameSpecAndSeed_BitIdenticalRuns_OtherSeedDiffers()
    {
        var spec = TestSpecs.Digits(epochs: 2);
        var other = TestSpecs.Digits(epochs: 2);
        other.Training.Seed = 12;

        var first = Trainer.Train(spec, PreparedData.Prepare(spec), new RecordingObserver(), CancellationToken.None);
        var second = Trainer.Train(spec, PreparedData.Prepare(spec), new RecordingObserver(), CancellationToken.None);
        var third = Trainer.Train(other, PreparedData.Prepare(other), new RecordingObserver(), CancellationToken.None);

        Assert.Equal(first.ModelState, second.ModelState);
        Assert.Equal(first.LastEpoch.TrainLoss, second.LastEpoch.TrainLoss);
        Assert.Equal(first.LastEpoch.ValidationLoss, second.LastEpoch.ValidationLoss);
        Assert.Equal(first.LastEpoch.LayerGradientNorms, second.LastEpoch.LayerGradientNorms);
        Assert.NotEqual(first.ModelState, third.ModelState);
    }

    [Fact]
    public void EarlyStopping_ValidationLossRises_StopsAndRestoresBestWeights()
    {
        // A wide network on 10% of digits with a high rate overfits within a few epochs.
        var spec = TestSpecs.Digits(epochs: 60);
        spec.Dataset.ValidationFraction = 0.45;
        spec.Dataset.TestFraction = 0.45;
        spec.Network.Layers[0].Dense.Units = 512;
        spec.Network.Layers[0].Dense.Dropout = 0;
        spec.Optimizer.LearningRate = 0.01;
        spec.Regularization.EarlyStopping = new EarlyStopping { Patience = 3 };
        var observer = new RecordingObserver();
        var data = PreparedData.Prepare(spec);

        var result = Trainer.Train(spec, data, observer, CancellationToken.None);

        Assert.True(result.StoppedEarly);
        Assert.Equal(result.BestEpoch + 3, observer.Epochs.Count);
        var best = observer.Epochs.MinBy(e => e.ValidationLoss)!;
        Assert.Equal(best.Epoch, result.BestEpoch);
        Assert.Equal(best.ValidationLoss, ValidationLoss(spec, data, result.ModelState), 5);
    }

    [Fact]
    public void StepDecayAndWarmup_SetEachStepsLearningRate()
    {
        var spec = PyTorchParityTests.LineFitSpec(new OptimizerSpec
        {
            LearningRate = 0.1,
            Sgd = new SgdOptions(),
            Schedule = new LearningRateSchedule { StepDecay = new StepDecay { StepSize = 10, Gamma = 0.5 }, WarmupSteps = 4 },
        });
        var observer = new RecordingObserver();

        Trainer.Train(spec, PreparedData.Prepare(spec), observer, CancellationToken.None);

        var rates = observer.Steps.Select(s => s.LearningRate).ToArray();
        Assert.Equal([0.025, 0.05, 0.075, 0.1, 0.1], rates[..5].Select(r => Math.Round(r, 12)));
        Assert.Equal(0.05, rates[10], 12);
        Assert.Equal(0.1 * Math.Pow(0.5, 4), rates[49], 12);
    }

    [Fact]
    public void CosineSchedule_AnnealsToMinimumOverEpochs()
    {
        var spec = PyTorchParityTests.LineFitSpec(new OptimizerSpec
        {
            LearningRate = 0.1,
            Sgd = new SgdOptions(),
            Schedule = new LearningRateSchedule { Cosine = new CosineDecay { MinLearningRate = 0.01 } },
        });
        var observer = new RecordingObserver();

        Trainer.Train(spec, PreparedData.Prepare(spec), observer, CancellationToken.None);

        Assert.Equal(0.1, observer.Steps[0].LearningRate, 12);
        Assert.Equal(0.055, observer.Steps[25].LearningRate, 12);
        Assert.True(observer.Steps[49].LearningRate < 0.0101);
    }

    [Fact]
    public void GradientClipping_ReportsNormsBeforeAndAfter()
    {
        var spec = TestSpecs.Digits(epochs: 1);
        spec.Optimizer.MaxGradientNorm = 0.05;
        var observer = new RecordingObserver();

        Trainer.Train(spec, PreparedData.Prepare(spec), observer, CancellationToken.None);

        Assert.Contains(observer.Steps, step => step.GradientNorm > 0.05);
        Assert.All(observer.Steps, step => Assert.True(step.ClippedGradientNorm <= 0.05 + 1e-9, $"clipped {step.ClippedGradientNorm}"));
        Assert.All(observer.Steps, step => Assert.True(step.ClippedGradientNorm <= step.GradientNorm + 1e-12));
    }

    [Fact]
    public void L2PenaltyAndDecoupledWeightDecay_FirstStepFollowsEachRule()
    {
        // Both start from w = 1 on y = 2x: the gradient of the mean squared error is g = 2 (w - 2) mean(x^2).
        var meanSquare = Enumerable.Range(0, 64).Select(i => -1 + 2.0 * i / 63).Average(x => x * x);
        var gradient = 2 * (1 - 2) * meanSquare;

        var sgd = OneStepWeight(new OptimizerSpec { LearningRate = 0.1, Sgd = new SgdOptions() }, new RegularizationSpec { L2 = 0.5 });
        var adamw = OneStepWeight(new OptimizerSpec { LearningRate = 0.1, Adamw = new AdamWOptions() }, new RegularizationSpec { WeightDecay = 0.5 });

        // SGD adds the penalty to the gradient: w - lr (g + l2 w). AdamW decays the weight apart from its
        // normalized step, which is lr * sign(g) on the first step: w (1 - lr wd) - lr sign(g).
        Assert.Equal(1 - 0.1 * (gradient + 0.5 * 1), sgd, 5);
        Assert.Equal(1 * (1 - 0.1 * 0.5) + 0.1, adamw, 5);
    }

    [Fact]
    public void Predict_Classification_ProbabilitiesSumToOneAndRepeat()
    {
        var spec = TestSpecs.Digits(epochs: 1);
        var data = PreparedData.Prepare(spec);
        var result = Trainer.Train(spec, data, new RecordingObserver(), CancellationToken.None);
        var rawRows = data.Splits.Test.Features.Take(5 * 64).Select(v => v * 16f).ToArray();

        var (first, width) = Predictor.Predict(spec, result.ModelState, result.Preprocessing, rawRows);
        var (second, _) = Predictor.Predict(spec, result.ModelState, result.Preprocessing, rawRows);

        Assert.Equal(10, width);
        Assert.Equal(first, second);
        for (var row = 0; row < 5; row++)
        {
            Assert.Equal(1.0, first.Skip(row * width).Take(width).Sum(), 4);
        }
    }

    private static double ValidationLoss(JobSpec spec, PreparedData data, byte[] state)
    {
        var validation = data.Splits.Validation;
        var (outputs, width) = Predictor.PredictPreprocessed(spec, state, validation.Features);
        double loss = 0;

        for (var row = 0; row < validation.Count; row++)
        {
            loss -= Math.Log(outputs[row * width + validation.Labels![row]]);
        }

        return loss / validation.Count;
    }

    private static double OneStepWeight(OptimizerSpec optimizer, RegularizationSpec regularization)
    {
        var spec = PyTorchParityTests.LineFitSpec(optimizer);
        spec.Network.Layers[0].Dense.Init = new Initialization { Kind = Init.Constant, Value = 1 };
        spec.Regularization = regularization;
        spec.Training.Epochs = 1;

        var result = Trainer.Train(spec, PreparedData.Prepare(spec), new RecordingObserver(), CancellationToken.None);
        return Predictor.PredictPreprocessed(spec, result.ModelState, [1f]).Outputs[0];
    }

    // He initialisation keeps a ReLU network's activations at one scale from layer to layer, which isolates
    // the effect of the activation's derivative: at most 1/4 for the sigmoid, 1 for ReLU's active units.
    private static readonly Initialization KaimingNormal = new() { Kind = Init.KaimingNormal };

    private static JobSpec DeepSpec(Activation activation)
    {
        var spec = TestSpecs.Digits(epochs: 1);
        spec.Network.Layers.Clear();
        for (var i = 0; i < 9; i++)
        {
            spec.Network.Layers.Add(new LayerSpec { Dense = new DenseLayer { Units = 32, Activation = activation, Dropout = 0, Init = KaimingNormal } });
        }

        spec.Network.Layers.Add(new LayerSpec { Dense = new DenseLayer { Units = 10, Init = KaimingNormal } });
        spec.Optimizer = new OptimizerSpec { LearningRate = 0.01, Sgd = new SgdOptions() };
        return spec;
    }

    private static Dictionary<string, double> MeanLayerNorms(JobSpec spec)
    {
        var observer = new RecordingObserver();
        Trainer.Train(spec, PreparedData.Prepare(spec), observer, CancellationToken.None);
        return observer.Steps.SelectMany(s => s.LayerGradientNorms).GroupBy(n => n.Layer).ToDictionary(g => g.Key, g => g.Average(n => n.Norm));
    }
}
