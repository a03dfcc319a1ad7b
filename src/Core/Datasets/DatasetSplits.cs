namespace TrainingService.Core.Datasets;

/// <summary>The training, validation and test splits of one dataset, disjoint and together covering all of it.</summary>
public sealed record DatasetSplits(Dataset Train, Dataset Validation, Dataset Test)
{
    /// <summary>
    /// Shuffles the examples with a generator seeded by <paramref name="seed"/> and cuts them into test,
    /// validation and training splits, in that order, so the same seed always gives the same splits.
    /// </summary>
    public static DatasetSplits Create(Dataset dataset, double validationFraction, double testFraction, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(dataset);

        var order = ShuffledIndices(dataset.Count, seed);
        var testCount = SplitSize(dataset.Count, testFraction);
        var validationCount = SplitSize(dataset.Count, validationFraction);
        var trainCount = TrainingCount(dataset.Count, validationFraction, testFraction);

        if (trainCount < 1)
        {
            throw new ArgumentException(
                $"Dataset '{dataset.Name}' of {dataset.Count} examples leaves no training examples " +
                $"after a validation fraction of {validationFraction} and a test fraction of {testFraction}.");
        }

        var span = order.AsSpan();
        var test = dataset.Subset("test", span[..testCount]);
        var validation = dataset.Subset("validation", span.Slice(testCount, validationCount));
        var train = dataset.Subset("train", span[(testCount + validationCount)..]);
        return new DatasetSplits(train, validation, test);
    }

    /// <summary>The number of training examples left after the validation and test splits; below 1 when none are left.</summary>
    public static int TrainingCount(int count, double validationFraction, double testFraction) =>
        count - SplitSize(count, testFraction) - SplitSize(count, validationFraction);

    /// <summary>A held-out split's size: none for a zero fraction, else at least one example.</summary>
    private static int SplitSize(int count, double fraction) => fraction <= 0 ? 0 : Math.Max(1, (int)Math.Round(count * fraction));

    private static int[] ShuffledIndices(int count, ulong seed)
    {
        var indices = Enumerable.Range(0, count).ToArray();

        // A seeded System.Random keeps the same sequence across .NET versions, unlike the unseeded one.
        var random = new Random(unchecked((int)(seed ^ (seed >> 32))));
        random.Shuffle(indices);
        return indices;
    }
}
