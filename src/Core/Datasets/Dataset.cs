namespace TrainingService.Core.Datasets;

/// <summary>
/// A dataset held in memory. <see cref="Features"/> is row-major with <see cref="FeatureCount"/> values per
/// example, already scaled. A classification dataset has one class index per example in <see cref="Labels"/>;
/// a regression dataset has <see cref="TargetWidth"/> values per example in <see cref="Targets"/>.
/// </summary>
public sealed class Dataset
{
    private Dataset(string name, float[] features, int featureCount, int[]? labels, int classCount, float[]? targets, int targetWidth)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(featureCount);

        Name = name;
        Features = features;
        FeatureCount = featureCount;
        Labels = labels;
        ClassCount = classCount;
        Targets = targets;
        TargetWidth = targetWidth;
        Count = features.Length / featureCount;

        var targetCount = labels?.Length ?? targets!.Length / targetWidth;
        if (features.Length != Count * featureCount || targetCount != Count)
        {
            throw new ArgumentException(
                $"Dataset '{name}' has {features.Length} feature values of width {featureCount} for {targetCount} examples.",
                nameof(features));
        }
    }

    public string Name { get; }

    public float[] Features { get; }

    public int FeatureCount { get; }

    /// <summary>Class indices from 0 to <see cref="ClassCount"/> - 1; null for regression.</summary>
    public int[]? Labels { get; }

    /// <summary>Number of classes; 0 for regression.</summary>
    public int ClassCount { get; }

    /// <summary>Regression targets, row-major; null for classification.</summary>
    public float[]? Targets { get; }

    /// <summary>Values per regression target; 0 for classification.</summary>
    public int TargetWidth { get; }

    public int Count { get; }

    public bool IsClassification => Labels is not null;

    public static Dataset Classification(string name, float[] features, int featureCount, int[] labels, int classCount)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 2);
        return new Dataset(name, features, featureCount, labels, classCount, null, 0);
    }

    public static Dataset Regression(string name, float[] features, int featureCount, float[] targets, int targetWidth)
    {
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(targetWidth);
        return new Dataset(name, features, featureCount, null, 0, targets, targetWidth);
    }

    /// <summary>Returns the same examples with other feature values, such as standardised ones.</summary>
    public Dataset WithFeatures(float[] features) =>
        new(Name, features, FeatureCount, Labels, ClassCount, Targets, TargetWidth);

    /// <summary>Copies the examples at <paramref name="indices"/>, in that order, into a new dataset.</summary>
    public Dataset Subset(string name, ReadOnlySpan<int> indices)
    {
        var features = new float[indices.Length * FeatureCount];
        var labels = Labels is null ? null : new int[indices.Length];
        var targets = Targets is null ? null : new float[indices.Length * TargetWidth];

        for (var row = 0; row < indices.Length; row++)
        {
            var source = indices[row];
            Array.Copy(Features, source * FeatureCount, features, row * FeatureCount, FeatureCount);

            if (labels is not null)
            {
                labels[row] = Labels![source];
            }
            else
            {
                Array.Copy(Targets!, source * TargetWidth, targets!, row * TargetWidth, TargetWidth);
            }
        }

        return new Dataset(name, features, FeatureCount, labels, ClassCount, targets, TargetWidth);
    }
}
