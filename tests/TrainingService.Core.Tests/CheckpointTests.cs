using Training.V1;
using TrainingService.Core.Datasets;
using TrainingService.Core.Training;

namespace TrainingService.Core.Tests;

public class CheckpointTests
{
    [Theory]
    [InlineData(2)]
    [InlineData(5)]
    public void Resume_FromCheckpoint_SameWeightsAndMetricsAsUninterrupted(int checkpointIndex)
    {
        var spec = ResumableSpec();
        var data = PreparedData.Prepare(spec);
        var sink = new RecordingSink();
        var uninterrupted = new RecordingObserver();
        var expected = Trainer.Train(spec, data, uninterrupted, new CheckpointOptions(sink, new CheckpointPolicy(7, TimeSpan.MaxValue)), null, CancellationToken.None);

        var checkpoint = TrainingCheckpoint.Deserialize(sink.Checkpoints[checkpointIndex].Serialize());
        var resumed = new RecordingObserver();
        var actual = Trainer.Train(spec, data, resumed, CheckpointOptions.None, checkpoint, CancellationToken.None);

        Assert.Equal(expected.ModelState, actual.ModelState);
        Assert.Equal(expected.Steps, actual.Steps);
        Assert.Equal(expected.TestLoss, actual.TestLoss);
        Assert.Equal(uninterrupted.Steps.Where(s => s.Step > checkpoint.Step).ToList(), resumed.Steps);
        var epochsAfter = uninterrupted.Epochs.Where(e => e.Epoch >= checkpoint.Epoch).ToList();
        Assert.Equal(epochsAfter.Select(WithoutTimes), resumed.Epochs.Select(WithoutTimes));
    }

    [Fact]
    public void Cancel_MidRun_HandsOverCheckpointOfLastStep()
    {
        var spec = ResumableSpec();
        var data = PreparedData.Prepare(spec);
        using var cancellation = new CancellationTokenSource();
        var sink = new RecordingSink();
        var observer = new RecordingObserver(step =>
        {
            if (step.Step == 23)
            {
                cancellation.Cancel();
            }
        });

        Assert.Throws<OperationCanceledException>(() =>
            Trainer.Train(spec, data, observer, new CheckpointOptions(sink, CheckpointPolicy.Never), null, cancellation.Token));

        var checkpoint = Assert.Single(sink.Checkpoints);
        Assert.Equal(23, checkpoint.Step);
        var resumed = Trainer.Train(spec, data, new RecordingObserver(), CheckpointOptions.None, checkpoint, CancellationToken.None);
        var uninterrupted = Trainer.Train(spec, data, new RecordingObserver(), CheckpointOptions.None, null, CancellationToken.None);
        Assert.Equal(uninterrupted.ModelState, resumed.ModelState);
    }

    [Fact]
    public void Deserialize_OtherBytes_ThrowsInvalidData()
    {
        Assert.Throws<InvalidDataException>(() => TrainingCheckpoint.Deserialize([1, 2, 3, 4, 5, 6, 7, 8]));
    }

    // Adam's moments, dropout, early stopping and a learning-rate schedule all carry state across steps.
    private static JobSpec ResumableSpec()
    {
        var spec = TestSpecs.Digits(epochs: 4);
        spec.Training.BatchSize = 64;
        spec.Network.Layers[0].Dense.Dropout = 0.3;
        spec.Optimizer.Schedule = new LearningRateSchedule { StepDecay = new StepDecay { StepSize = 1, Gamma = 0.7 }, WarmupSteps = 5 };
        spec.Regularization.EarlyStopping = new EarlyStopping { Patience = 10 };
        return spec;
    }

    private static EpochMetrics WithoutTimes(EpochMetrics metrics)
    {
        var copy = metrics.Clone();
        copy.SamplesPerSecond = 0;
        copy.EpochSeconds = 0;
        return copy;
    }

    private sealed class RecordingSink : ICheckpointSink
    {
        public List<TrainingCheckpoint> Checkpoints { get; } = [];

        public void Save(TrainingCheckpoint checkpoint) => Checkpoints.Add(checkpoint);
    }
}
