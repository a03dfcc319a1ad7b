using Training.V1;
using TrainingService.Core.Datasets;
using TrainingService.Core.Specs;
using TrainingService.Core.Training;

namespace TrainingService.Core.Tests;

public class TrainerTests
{
    [Fact]
    public void Train_Digits_LearnsAndReportsEveryEpoch()
    {
        var spec = TestSpecs.Digits(epochs: 8);
        var observer = new RecordingObserver();

        var result = Trainer.Train(spec, Splits(spec), observer, CancellationToken.None);

        Assert.True(result.TestAccuracy > 0.9, $"test accuracy {result.TestAccuracy}");
        Assert.Equal(8, observer.Epochs.Count);
        Assert.True(observer.Epochs[^1].TrainLoss < observer.Epochs[0].TrainLoss);
        Assert.True(observer.Epochs[^1].ValidationAccuracy > 0.9);
        Assert.Equal(result.Steps, observer.Steps.Count);
        Assert.NotEmpty(result.ModelState);
    }

    [Fact]
    public void Train_EveryStep_ReportsEachLayersGradientNorm()
    {
        var spec = TestSpecs.Digits(epochs: 1);
        var observer = new RecordingObserver();

        Trainer.Train(spec, Splits(spec), observer, CancellationToken.None);

        Assert.All(observer.Steps, step =>
        {
            Assert.Equal(["dense0", "dense1"], step.LayerGradientNorms.Select(n => n.Layer));
            Assert.All(step.LayerGradientNorms, n => Assert.True(n.Norm > 0));
            var global = Math.Sqrt(step.LayerGradientNorms.Sum(n => n.Norm * n.Norm));
            Assert.Equal(global, step.GradientNorm, 9);
        });
    }

    [Fact]
    public void Train_SameSeed_IdenticalMetricsAndWeights()
    {
        var spec = TestSpecs.Digits(epochs: 2);
        var first = new RecordingObserver();
        var second = new RecordingObserver();

        var firstResult = Trainer.Train(spec, Splits(spec), first, CancellationToken.None);
        var secondResult = Trainer.Train(spec, Splits(spec), second, CancellationToken.None);

        Assert.Equal(first.Steps.Select(s => s.Loss), second.Steps.Select(s => s.Loss));
        Assert.Equal(firstResult.ModelState, secondResult.ModelState);
        Assert.Equal(firstResult.TestAccuracy, secondResult.TestAccuracy);
    }

    [Fact]
    public void Train_HugeLearningRate_StopsAsDiverged()
    {
        var spec = TestSpecs.Digits(epochs: 3);
        spec.Optimizer = new OptimizerSpec { LearningRate = 1e12, Sgd = new SgdOptions { Momentum = 0.9 } };
        var observer = new RecordingObserver();

        var error = Assert.Throws<TrainingDivergedException>(() => Trainer.Train(spec, Splits(spec), observer, CancellationToken.None));

        Assert.Contains($"step {error.Step}", error.Message);
        Assert.Contains("learning rate", error.Message);
        Assert.Equal(error.Step - 1, observer.Steps.Count);
    }

    [Fact]
    public void Train_Cancelled_ThrowsOperationCanceled()
    {
        var spec = TestSpecs.Digits(epochs: 3);
        using var cancellation = new CancellationTokenSource();
        var observer = new RecordingObserver(onStep: step =>
        {
            if (step.Step == 5)
            {
                cancellation.Cancel();
            }
        });

        Assert.Throws<OperationCanceledException>(() => Trainer.Train(spec, Splits(spec), observer, cancellation.Token));
        Assert.Equal(5, observer.Steps.Count);
    }

    private static PreparedData Splits(JobSpec spec) => PreparedData.Prepare(spec);
}
