namespace TrainingService.Core.Datasets;

/// <summary>
/// How raw feature values, as in the dataset's files, became the network's inputs: multiplied by
/// <see cref="Scale"/>, then, when <see cref="Mean"/> is set, standardised with the training split's statistics.
/// A stored model keeps it so that predictions on raw inputs see the inputs training saw.
/// </summary>
public sealed record FeaturePreprocessing(float Scale, double[]? Mean, double[]? Deviation)
{
    /// <summary>Turns raw rows into network inputs, in place.</summary>
    public void Apply(float[] features, int featureCount)
    {
        ArgumentNullException.ThrowIfNull(features);

        for (var i = 0; i < features.Length; i++)
        {
            var value = features[i] * Scale;
            if (Mean is not null)
            {
                var column = i % featureCount;
                value = (float)((value - Mean[column]) / Deviation![column]);
            }

            features[i] = value;
        }
    }
}
