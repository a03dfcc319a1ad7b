using Training.V1;
using TrainingService.Core.Specs;

namespace TrainingService.Core.Datasets;

/// <summary>A job's dataset, split and preprocessed as its spec asks, ready to train on.</summary>
public sealed record PreparedData(DatasetInfo Info, DatasetSplits Splits, FeaturePreprocessing Preprocessing)
{
    /// <summary>Loads or generates the dataset, splits it by the training seed and standardises tabular features.</summary>
    public static PreparedData Prepare(JobSpec spec, DatasetCatalog? catalog = null)
    {
        ArgumentNullException.ThrowIfNull(spec);

        var datasetSpec = spec.Dataset;
        var info = DatasetCatalog.Find(datasetSpec.Name) ?? throw new KeyNotFoundException($"Unknown dataset '{datasetSpec.Name}'.");
        var dataset = (catalog ?? DatasetCatalog.Default).Load(datasetSpec, spec.Training.Seed);
        var splits = DatasetSplits.Create(dataset, datasetSpec.GetValidationFraction(), datasetSpec.GetTestFraction(), spec.Training.Seed);

        if (!info.Standardize)
        {
            return new PreparedData(info, splits, new FeaturePreprocessing(info.Scale, null, null));
        }

        var (standardized, mean, deviation) = Standardizer.Apply(splits);
        return new PreparedData(info, standardized, new FeaturePreprocessing(info.Scale, mean, deviation));
    }
}
