namespace TrainingService.Core.Datasets;

/// <summary>Standardises each feature to zero mean and unit variance, with statistics taken from the training split only.</summary>
public static class Standardizer
{
    /// <summary>
    /// Computes each feature's mean and standard deviation on the training split and applies them to every
    /// split, so no statistic of the validation or test examples leaks into training. Features constant on the
    /// training split keep a divisor of 1.
    /// </summary>
    public static (DatasetSplits Splits, double[] Mean, double[] Deviation) Apply(DatasetSplits splits)
    {
        ArgumentNullException.ThrowIfNull(splits);

        var (mean, deviation) = Statistics(splits.Train);
        var standardized = new DatasetSplits(
            Transform(splits.Train, mean, deviation),
            Transform(splits.Validation, mean, deviation),
            Transform(splits.Test, mean, deviation));
        return (standardized, mean, deviation);
    }

    private static (double[] Mean, double[] Deviation) Statistics(Dataset train)
    {
        var width = train.FeatureCount;
        var mean = new double[width];
        var deviation = new double[width];

        for (var i = 0; i < train.Features.Length; i++)
        {
            mean[i % width] += train.Features[i];
        }

        for (var column = 0; column < width; column++)
        {
            mean[column] /= train.Count;
        }

        for (var i = 0; i < train.Features.Length; i++)
        {
            var centred = train.Features[i] - mean[i % width];
            deviation[i % width] += centred * centred;
        }

        for (var column = 0; column < width; column++)
        {
            var value = Math.Sqrt(deviation[column] / train.Count);
            deviation[column] = value > 1e-12 ? value : 1.0;
        }

        return (mean, deviation);
    }

    private static Dataset Transform(Dataset dataset, double[] mean, double[] deviation)
    {
        var width = dataset.FeatureCount;
        var features = new float[dataset.Features.Length];

        for (var i = 0; i < features.Length; i++)
        {
            var column = i % width;
            features[i] = (float)((dataset.Features[i] - mean[column]) / deviation[column]);
        }

        return dataset.WithFeatures(features);
    }
}
