using Training.V1;

namespace TrainingService.Core.Training;

/// <summary>
/// The learning rate of each step: the base rate decayed per epoch (step decay or cosine annealing, as
/// PyTorch's StepLR and CosineAnnealingLR stepped once per epoch), times a linear warm-up over the first steps.
/// </summary>
public sealed class LearningRateScheduler(OptimizerSpec optimizer, int epochs)
{
    private readonly double _baseRate = optimizer.LearningRate;
    private readonly LearningRateSchedule? _schedule = optimizer.Schedule;

    /// <summary>The rate for step <paramref name="step"/> (counted from 1 over the run) of epoch <paramref name="epoch"/> (from 1).</summary>
    public double RateAt(int epoch, long step)
    {
        var rate = _schedule?.KindCase switch
        {
            LearningRateSchedule.KindOneofCase.StepDecay =>
                _baseRate * Math.Pow(_schedule.StepDecay.Gamma, (epoch - 1) / _schedule.StepDecay.StepSize),
            LearningRateSchedule.KindOneofCase.Cosine => CosineRate(epoch, _schedule.Cosine.MinLearningRate),
            _ => _baseRate,
        };

        var warmup = _schedule?.WarmupSteps ?? 0;
        return warmup > 0 && step < warmup ? rate * step / warmup : rate;
    }

    private double CosineRate(int epoch, double minimum) =>
        minimum + (_baseRate - minimum) * (1 + Math.Cos(Math.PI * (epoch - 1) / epochs)) / 2;
}
