using Training.V1;

namespace TrainingService.Core.Training;

/// <summary>Running sums over an epoch's steps; the loss and accuracy are weighted by batch size.</summary>
internal sealed class EpochTotals
{
    private readonly double[] _layerNormSums;
    private double _lossSum;
    private double _correct;
    private double _normSum;
    private long _examples;
    private int _steps;
    private double _lastRate;

    /// <summary>Training seconds of the epoch that earlier attempts spent before the checkpoint it was restored from.</summary>
    public double SecondsBefore { get; }

    public EpochTotals(int layerCount)
    {
        _layerNormSums = new double[layerCount];
    }

    private EpochTotals(Snapshot snapshot)
    {
        _layerNormSums = (double[])snapshot.LayerNormSums.Clone();
        _lossSum = snapshot.LossSum;
        _correct = snapshot.Correct;
        _normSum = snapshot.NormSum;
        _examples = snapshot.Examples;
        _steps = snapshot.Steps;
        _lastRate = snapshot.LastRate;
        SecondsBefore = snapshot.Seconds;
    }

    public static EpochTotals Restore(Snapshot snapshot) => new(snapshot);

    public void Add(StepMetrics step, long batchSize, double correct)
    {
        _lossSum += step.Loss * batchSize;
        _correct += correct;
        _examples += batchSize;
        _normSum += step.GradientNorm;
        _lastRate = step.LearningRate;
        _steps++;

        for (var i = 0; i < _layerNormSums.Length; i++)
        {
            _layerNormSums[i] += step.LayerGradientNorms[i].Norm;
        }
    }

    /// <param name="seconds">Training seconds the epoch has taken so far, over every attempt.</param>
    public Snapshot Save(double seconds) => new((double[])_layerNormSums.Clone(), _lossSum, _correct, _normSum, _examples, _steps, _lastRate, seconds);

    public EpochMetrics ToEpochMetrics(int epoch, long step, string[] layerNames, bool isClassification)
    {
        var metrics = new EpochMetrics
        {
            Epoch = epoch,
            Step = step,
            TrainLoss = _lossSum / _examples,
            GradientNorm = _normSum / _steps,
            LearningRate = _lastRate,
        };

        if (isClassification)
        {
            metrics.TrainAccuracy = _correct / _examples;
        }

        for (var i = 0; i < layerNames.Length; i++)
        {
            metrics.LayerGradientNorms.Add(new LayerGradientNorm { Layer = layerNames[i], Norm = _layerNormSums[i] / _steps });
        }

        return metrics;
    }

    internal sealed record Snapshot(double[] LayerNormSums, double LossSum, double Correct, double NormSum, long Examples, int Steps, double LastRate, double Seconds)
    {
        public void Write(BinaryWriter writer)
        {
            writer.Write(LayerNormSums.Length);
            foreach (var sum in LayerNormSums)
            {
                writer.Write(sum);
            }

            writer.Write(LossSum);
            writer.Write(Correct);
            writer.Write(NormSum);
            writer.Write(Examples);
            writer.Write(Steps);
            writer.Write(LastRate);
            writer.Write(Seconds);
        }

        public static Snapshot Read(BinaryReader reader)
        {
            var sums = new double[reader.ReadInt32()];
            for (var i = 0; i < sums.Length; i++)
            {
                sums[i] = reader.ReadDouble();
            }

            return new Snapshot(sums, reader.ReadDouble(), reader.ReadDouble(), reader.ReadDouble(), reader.ReadInt64(), reader.ReadInt32(), reader.ReadDouble(), reader.ReadDouble());
        }
    }
}
