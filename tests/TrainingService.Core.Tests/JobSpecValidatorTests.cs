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
        { "dataset.validation_fraction", spec => spec.Dataset.ValidationFraction = 0 },
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
