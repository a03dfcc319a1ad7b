using Training.V1;
using TrainingService.Core.Specs;

namespace TrainingService.Core.Tests;

public class JobSpecValidatorTests
{
    [Fact]
    public void Validate_ExampleSpecs_NoViolations()
    {
        Assert.Empty(JobSpecValidator.Validate(TestSpecs.Digits()));
        Assert.Empty(JobSpecValidator.Validate(TestSpecs.MnistMlp()));
    }

    public static TheoryData<string, Action<JobSpec>> InvalidFields => new()
    {
        { "spec", _ => { } },
        { "name", spec => spec.Name = new string('x', 201) },
        { "dataset", spec => spec.Dataset = null },
        { "dataset.name", spec => spec.Dataset.Name = "imagenet" },
        { "dataset.name", spec => spec.Dataset.Name = "" },
        { "dataset.validation_fraction", spec => spec.Dataset.ValidationFraction = -0.1 },
        { "dataset.validation_fraction", spec => spec.Dataset.ValidationFraction = double.NaN },
        { "dataset.test_fraction", spec => spec.Dataset.TestFraction = 1.5 },
        { "dataset.test_fraction", spec => { spec.Dataset.TestFraction = 0.6; spec.Dataset.ValidationFraction = 0.5; } },
        { "network.layers", spec => spec.Network.Layers.Clear() },
        { "network.layers", spec => spec.Network = null },
        { "network.layers[0]", spec => spec.Network.Layers[0] = new LayerSpec() },
        { "network.layers[0].dense.units", spec => spec.Network.Layers[0].Dense.Units = 0 },
        { "network.layers[0].dense.units", spec => spec.Network.Layers[0].Dense.Units = -5 },
        { "network.layers[0].dense.units", spec => spec.Network.Layers[0].Dense.Units = int.MaxValue },
        { "network.layers[0].dense.activation", spec => spec.Network.Layers[0].Dense.Activation = (Activation)99 },
        { "network.layers[0].dense.dropout", spec => spec.Network.Layers[0].Dense.Dropout = 1 },
        { "network.layers[0].dense.dropout", spec => spec.Network.Layers[0].Dense.Dropout = -0.1 },
        { "network.layers[1].dense.units", spec => spec.Network.Layers[1].Dense.Units = 7 },
        { "optimizer", spec => spec.Optimizer = null },
        { "optimizer", spec => spec.Optimizer.ClearKind() },
        { "optimizer.learning_rate", spec => spec.Optimizer.LearningRate = 0 },
        { "optimizer.learning_rate", spec => spec.Optimizer.LearningRate = -1e-3 },
        { "optimizer.learning_rate", spec => spec.Optimizer.LearningRate = double.PositiveInfinity },
        { "optimizer.learning_rate", spec => spec.Optimizer.LearningRate = 1e9 },
        { "optimizer.adam.beta1", spec => spec.Optimizer.Adam.Beta1 = 1 },
        { "optimizer.adam.beta2", spec => spec.Optimizer.Adam.Beta2 = -0.5 },
        { "optimizer.adam.epsilon", spec => spec.Optimizer.Adam.Epsilon = 0 },
        { "optimizer.sgd.momentum", spec => spec.Optimizer.Sgd = new SgdOptions { Momentum = 1.2 } },
        { "optimizer.sgd.nesterov", spec => spec.Optimizer.Sgd = new SgdOptions { Nesterov = true } },
        { "regularization.l2", spec => spec.Regularization.L2 = double.NaN },
        { "regularization.weight_decay", spec => spec.Regularization.WeightDecay = 0.01 },
        { "regularization.dropout", spec => spec.Regularization.Dropout = 1.5 },
        { "training", spec => spec.Training = null },
        { "training.epochs", spec => spec.Training.Epochs = 0 },
        { "training.epochs", spec => spec.Training.Epochs = 1_000_000 },
        { "training.batch_size", spec => spec.Training.BatchSize = 0 },
        { "training.batch_size", spec => spec.Training.BatchSize = 100_000 },
        { "training.loss", spec => spec.Training.Loss = (Loss)42 },
        { "training.loss", spec => spec.Training.Loss = Loss.BinaryCrossEntropyWithLogits },
        { "dataset.synthetic", spec => spec.Dataset.Synthetic = new SyntheticOptions { Points = 10 } },
        { "network.layers[0].dense.negative_slope", spec => spec.Network.Layers[0].Dense.NegativeSlope = 0.1 },
        { "network.layers[0].dense.init.kind", spec => spec.Network.Layers[0].Dense.Init = new Initialization { Kind = (Init)77 } },
        { "network.layers[0].dense.init.value", spec => spec.Network.Layers[0].Dense.Init = new Initialization { Kind = Init.Constant, Value = double.NaN } },
        { "network.layers[0].dense.init.value", spec => spec.Network.Layers[0].Dense.Init = new Initialization { Kind = Init.XavierUniform, Value = 2 } },
        { "network.layers[0].dense.units", spec => spec.Network.Layers[0].Dense.Units = 0 },
        { "network.layers[1].activation.function", spec => spec.Network.Layers.Insert(1, new LayerSpec { Activation = new ActivationLayer() }) },
        { "network.layers[1].activation.negative_slope", spec => spec.Network.Layers.Insert(1, new LayerSpec { Activation = new ActivationLayer { Function = Activation.LeakyRelu, NegativeSlope = 2 } }) },
        { "network.layers[1].dropout.rate", spec => spec.Network.Layers.Insert(1, new LayerSpec { Dropout = new DropoutLayer { Rate = 1 } }) },
        { "network.layers[1].swiglu.units", spec => spec.Network.Layers.Insert(1, new LayerSpec { Swiglu = new SwiGluLayer { Units = -1 } }) },
        { "network.layers[1].layer_norm.epsilon", spec => spec.Network.Layers.Insert(1, new LayerSpec { LayerNorm = new LayerNormLayer { Epsilon = 0 } }) },
        { "network.layers", spec => { spec.Network.Layers.Clear(); spec.Network.Layers.Add(new LayerSpec { Activation = new ActivationLayer { Function = Activation.Relu } }); } },
        { "optimizer.max_gradient_norm", spec => spec.Optimizer.MaxGradientNorm = -1 },
        { "optimizer.rmsprop.alpha", spec => spec.Optimizer.Rmsprop = new RmsPropOptions { Alpha = 1.5 } },
        { "optimizer.rmsprop.momentum", spec => spec.Optimizer.Rmsprop = new RmsPropOptions { Momentum = -0.5 } },
        { "optimizer.rmsprop.epsilon", spec => spec.Optimizer.Rmsprop = new RmsPropOptions { Epsilon = 0 } },
        { "optimizer.schedule.warmup_steps", spec => spec.Optimizer.Schedule = new LearningRateSchedule { WarmupSteps = -3 } },
        { "optimizer.schedule.step_decay.step_size", spec => spec.Optimizer.Schedule = new LearningRateSchedule { StepDecay = new StepDecay { StepSize = 0, Gamma = 0.5 } } },
        { "optimizer.schedule.step_decay.gamma", spec => spec.Optimizer.Schedule = new LearningRateSchedule { StepDecay = new StepDecay { StepSize = 2, Gamma = 0 } } },
        { "optimizer.schedule.cosine.min_learning_rate", spec => spec.Optimizer.Schedule = new LearningRateSchedule { Cosine = new CosineDecay { MinLearningRate = 1 } } },
        { "regularization.early_stopping.patience", spec => spec.Regularization.EarlyStopping = new EarlyStopping { Patience = 0 } },
        { "regularization.early_stopping.min_delta", spec => spec.Regularization.EarlyStopping = new EarlyStopping { Patience = 2, MinDelta = -1 } },
        { "regularization.early_stopping", spec => { spec.Regularization.EarlyStopping = new EarlyStopping { Patience = 2 }; spec.Dataset.ValidationFraction = 0; } },
    };

    [Theory]
    [MemberData(nameof(InvalidFields))]
    public void Validate_InvalidField_NamesItsPath(string expectedField, Action<JobSpec> breakSpec)
    {
        var spec = expectedField == "spec" ? null : TestSpecs.Digits();
        if (spec is not null)
        {
            breakSpec(spec);
        }

        var violations = JobSpecValidator.Validate(spec);

        Assert.Contains(expectedField, violations.Select(v => v.Field));
        Assert.All(violations, v => Assert.False(string.IsNullOrWhiteSpace(v.Description)));
    }

    [Fact]
    public void Validate_EveryOptionSet_NoViolations()
    {
        var spec = TestSpecs.Digits();
        spec.Network.Layers.Clear();
        spec.Network.Layers.Add(new LayerSpec { Dense = new DenseLayer { Units = 32, Activation = Activation.LeakyRelu, NegativeSlope = 0.1, Bias = false, Init = new Initialization { Kind = Init.KaimingUniform } } });
        spec.Network.Layers.Add(new LayerSpec { LayerNorm = new LayerNormLayer { Epsilon = 1e-6, Affine = true } });
        spec.Network.Layers.Add(new LayerSpec { Activation = new ActivationLayer { Function = Activation.Gelu } });
        spec.Network.Layers.Add(new LayerSpec { Dropout = new DropoutLayer { Rate = 0.2 } });
        spec.Network.Layers.Add(new LayerSpec { Swiglu = new SwiGluLayer { Units = 16, Init = new Initialization { Kind = Init.XavierNormal } } });
        spec.Network.Layers.Add(new LayerSpec { Dense = new DenseLayer { Units = 0, Init = new Initialization { Kind = Init.Constant, Value = 0.01 } } });
        spec.Optimizer = new OptimizerSpec
        {
            LearningRate = 0.01,
            Rmsprop = new RmsPropOptions { Alpha = 0.9, Epsilon = 1e-7, Momentum = 0.5, Centered = true },
            Schedule = new LearningRateSchedule { Cosine = new CosineDecay { MinLearningRate = 1e-4 }, WarmupSteps = 10 },
            MaxGradientNorm = 1,
        };
        spec.Regularization = new RegularizationSpec { L2 = 1e-4, Dropout = 0.1, EarlyStopping = new EarlyStopping { Patience = 3, MinDelta = 1e-4 } };
        spec.Training.Loss = Loss.CrossEntropy;

        Assert.Empty(JobSpecValidator.Validate(spec));
    }

    [Theory]
    [InlineData("linear", Loss.Mse, 1)]
    [InlineData("xor", Loss.BinaryCrossEntropyWithLogits, 1)]
    [InlineData("spirals", Loss.CrossEntropy, 2)]
    [InlineData("breast_cancer", Loss.BinaryCrossEntropyWithLogits, 1)]
    [InlineData("iris", Loss.Mse, 3)]
    public void Validate_DatasetLossAndOutputWidth_Accepted(string dataset, Loss loss, int outputs)
    {
        var spec = TestSpecs.Digits();
        spec.Dataset = new DatasetSpec { Name = dataset };
        spec.Network.Layers[1].Dense.Units = outputs;
        spec.Training.Loss = loss;
        spec.Training.BatchSize = 8;

        Assert.Empty(JobSpecValidator.Validate(spec));
    }

    [Fact]
    public void Validate_CrossEntropyOnRegression_PointsAtLoss()
    {
        var spec = TestSpecs.Digits();
        spec.Dataset = new DatasetSpec { Name = "linear" };
        spec.Training.Loss = Loss.CrossEntropy;
        spec.Training.BatchSize = 8;

        var violation = Assert.Single(JobSpecValidator.Validate(spec));

        Assert.Equal("training.loss", violation.Field);
        Assert.Contains("LOSS_MSE", violation.Description);
    }

    [Fact]
    public void Validate_L2WithAdamW_PointsAtWeightDecay()
    {
        var spec = TestSpecs.MnistMlp();
        spec.Regularization.L2 = 0.01;

        var violation = Assert.Single(JobSpecValidator.Validate(spec));

        Assert.Equal("regularization.l2", violation.Field);
        Assert.Contains("weight_decay", violation.Description);
    }

    [Fact]
    public void Validate_SeveralBadFields_ReportsEach()
    {
        var spec = TestSpecs.Digits();
        spec.Optimizer.LearningRate = -1;
        spec.Training.Epochs = 0;
        spec.Network.Layers[0].Dense.Units = 0;

        var fields = JobSpecValidator.Validate(spec).Select(v => v.Field).ToList();

        Assert.Contains("optimizer.learning_rate", fields);
        Assert.Contains("training.epochs", fields);
        Assert.Contains("network.layers[0].dense.units", fields);
    }
}
