using Training.V1;

namespace TrainingService.Core.Training;

/// <summary>Running sums over an epoch's steps; the loss and accuracy are weighted by batch size.</summary>
internal sealed class EpochTotals(int layerCount)
{
    private readonly double[] _layerNormSums = new double[layerCount];
    private double _lossSum;
    private double _correct;
    private double _normSum;
    private long _examples;
    private int _steps;
    private double _lastRate;

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
}
