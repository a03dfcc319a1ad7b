namespace TrainingService.Core.Datasets;

/// <summary>
/// A classification dataset held in memory: <see cref="Features"/> is row-major with
/// <see cref="FeatureCount"/> values per example, already scaled, and <see cref="Labels"/> has one class index per example.
/// </summary>
public sealed class Dataset
{
    public Dataset(string name, float[] features, int[] labels, int featureCount, int classCount)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(featureCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classCount);

        if (features.Length != labels.Length * featureCount)
        {
            throw new ArgumentException(
                $"Dataset '{name}' has {features.Length} feature values for {labels.Length} examples of {featureCount} features.",
                nameof(features));
        }

        Name = name;
        Features = features;
        Labels = labels;
        FeatureCount = featureCount;
        ClassCount = classCount;
    }

    public string Name { get; }

    public float[] Features { get; }

    public int[] Labels { get; }

    public int FeatureCount { get; }

    public int ClassCount { get; }

    public int Count => Labels.Length;

    /// <summary>Copies the examples at <paramref name="indices"/>, in that order, into a new dataset.</summary>
    public Dataset Subset(string name, ReadOnlySpan<int> indices)
    {
        var features = new float[indices.Length * FeatureCount];
        var labels = new int[indices.Length];

        for (var row = 0; row < indices.Length; row++)
        {
            var source = indices[row];
            Array.Copy(Features, source * FeatureCount, features, row * FeatureCount, FeatureCount);
            labels[row] = Labels[source];
        }

        return new Dataset(name, features, labels, FeatureCount, ClassCount);
    }
}
