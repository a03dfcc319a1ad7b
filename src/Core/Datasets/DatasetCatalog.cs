using System.Collections.Concurrent;
using Training.V1;

namespace TrainingService.Core.Datasets;

/// <summary>What a built-in dataset is, known without reading or generating it.</summary>
/// <param name="Count">Examples in the dataset; for a synthetic one, the default number of points.</param>
/// <param name="ClassCount">Number of classes; 0 for regression.</param>
/// <param name="TargetWidth">Values per regression target; 0 for classification.</param>
/// <param name="Scale">Factor applied to every raw feature value when read, such as 1/255 for pixels.</param>
/// <param name="Standardize">
/// Whether features are standardised to zero mean and unit variance with statistics of the training split,
/// for tabular data whose columns have unrelated units.
/// </param>
public sealed record DatasetInfo(
    string Name,
    int Count,
    int FeatureCount,
    int ClassCount,
    int TargetWidth,
    float Scale,
    bool Standardize,
    bool IsSynthetic)
{
    public bool IsClassification => ClassCount > 0;
}

/// <summary>
/// The built-in datasets. Real ones are read from the data folder that ships beside the binaries (or the
/// folder named by the TRAINING_DATA_DIR environment variable), once per process, then shared read-only.
/// Synthetic ones are generated from the spec's settings and seed each time.
/// </summary>
public sealed class DatasetCatalog
{
    private static readonly DatasetInfo[] BuiltIn =
    [
        new("mnist10k", 10_000, 784, 10, 0, 1f / 255f, Standardize: false, IsSynthetic: false),
        new("digits", 1_797, 64, 10, 0, 1f / 16f, Standardize: false, IsSynthetic: false),
        new("iris", 150, 4, 3, 0, 1f, Standardize: true, IsSynthetic: false),
        new("wine", 178, 13, 3, 0, 1f, Standardize: true, IsSynthetic: false),
        new("breast_cancer", 569, 30, 2, 0, 1f, Standardize: true, IsSynthetic: false),
        new("linear", SyntheticDatasets.DefaultLinearPoints, 1, 0, 1, 1f, Standardize: false, IsSynthetic: true),
        new("xor", SyntheticDatasets.DefaultPoints, 2, 2, 0, 1f, Standardize: false, IsSynthetic: true),
        new("spirals", SyntheticDatasets.DefaultPoints, 2, 2, 0, 1f, Standardize: false, IsSynthetic: true),
    ];

    private readonly ConcurrentDictionary<string, Lazy<Dataset>> _loaded = new(StringComparer.Ordinal);

    public DatasetCatalog(string? dataDirectory = null)
    {
        DataDirectory = dataDirectory
            ?? Environment.GetEnvironmentVariable("TRAINING_DATA_DIR")
            ?? Path.Combine(AppContext.BaseDirectory, "data");
    }

    public static DatasetCatalog Default { get; } = new();

    public string DataDirectory { get; }

    public static IReadOnlyList<DatasetInfo> All => BuiltIn;

    public static DatasetInfo? Find(string name) => Array.Find(BuiltIn, info => info.Name == name);

    /// <summary>The number of examples a dataset spec yields, counting a synthetic dataset's points setting.</summary>
    public static int ExampleCount(DatasetSpec spec, DatasetInfo info)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(info);
        return info.IsSynthetic && spec.Synthetic is { HasPoints: true } synthetic ? synthetic.Points : info.Count;
    }

    /// <summary>Returns the whole dataset a spec names: read on first use, or generated with <paramref name="seed"/>.</summary>
    /// <exception cref="KeyNotFoundException">No built-in dataset has that name.</exception>
    public Dataset Load(DatasetSpec spec, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(spec);

        var info = Find(spec.Name) ?? throw new KeyNotFoundException(
            $"Unknown dataset '{spec.Name}'; built-in datasets are {string.Join(", ", BuiltIn.Select(d => d.Name))}.");

        return info.IsSynthetic
            ? SyntheticDatasets.Generate(info.Name, spec.Synthetic ?? new SyntheticOptions(), seed)
            : _loaded.GetOrAdd(info.Name, _ => new Lazy<Dataset>(() => Read(info))).Value;
    }

    /// <summary>Returns a real dataset by name, reading it on first use.</summary>
    public Dataset Load(string name) => Load(new DatasetSpec { Name = name }, seed: 0);

    private Dataset Read(DatasetInfo info)
    {
        var dataset = info.Name switch
        {
            "mnist10k" => ReadMnist(info),
            "digits" => ReadCsv(info, "digits.csv.gz"),
            "iris" => ReadCsv(info, "iris.csv"),
            "wine" => ReadCsv(info, "wine_data.csv"),
            "breast_cancer" => ReadCsv(info, "breast_cancer.csv"),
            _ => throw new KeyNotFoundException($"No reader for dataset '{info.Name}'."),
        };

        if (dataset.Count != info.Count || dataset.FeatureCount != info.FeatureCount)
        {
            throw new InvalidDataException(
                $"Dataset '{info.Name}' in '{DataDirectory}' has {dataset.Count} examples of {dataset.FeatureCount} features; " +
                $"expected {info.Count} of {info.FeatureCount}.");
        }

        return dataset;
    }

    private Dataset ReadMnist(DatasetInfo info)
    {
        var (imageDimensions, pixels) = IdxReader.Read(Path.Combine(DataDirectory, "mnist10k-images-idx3-ubyte.gz"));
        var (_, labelBytes) = IdxReader.Read(Path.Combine(DataDirectory, "mnist10k-labels-idx1-ubyte.gz"));

        if (imageDimensions.Length != 3 || imageDimensions[0] != labelBytes.Length)
        {
            throw new InvalidDataException(
                $"MNIST images ({string.Join("x", imageDimensions)}) do not match its {labelBytes.Length} labels.");
        }

        var features = Array.ConvertAll(pixels, pixel => pixel * info.Scale);
        var labels = Array.ConvertAll(labelBytes, label => (int)label);
        return Dataset.Classification(info.Name, features, imageDimensions[1] * imageDimensions[2], labels, info.ClassCount);
    }

    private Dataset ReadCsv(DatasetInfo info, string fileName)
    {
        var (features, labels, featureCount) = CsvDatasetReader.Read(Path.Combine(DataDirectory, fileName));

        for (var i = 0; i < features.Length; i++)
        {
            features[i] *= info.Scale;
        }

        var outOfRange = Array.FindIndex(labels, label => label < 0 || label >= info.ClassCount);
        if (outOfRange >= 0)
        {
            throw new InvalidDataException(
                $"Dataset '{info.Name}' example {outOfRange} has class {labels[outOfRange]}; expected 0 to {info.ClassCount - 1}.");
        }

        return Dataset.Classification(info.Name, features, featureCount, labels, info.ClassCount);
    }
}
