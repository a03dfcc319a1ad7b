using System.Collections.Concurrent;

namespace TrainingService.Core.Datasets;

/// <summary>What a built-in dataset is, known without reading its files.</summary>
/// <param name="Standardize">
/// Whether features are standardised to zero mean and unit variance with statistics of the training split,
/// for tabular data whose columns have unrelated units. Image pixels are instead scaled to [0, 1] when read.
/// </param>
public sealed record DatasetInfo(string Name, int Count, int FeatureCount, int ClassCount, bool Standardize);

/// <summary>
/// The built-in datasets, read from the data folder that ships beside the binaries (or the folder named by
/// the TRAINING_DATA_DIR environment variable). Each is read once per process and then shared, read-only.
/// </summary>
public sealed class DatasetCatalog
{
    private static readonly DatasetInfo[] BuiltIn =
    [
        new("mnist10k", 10_000, 784, 10, Standardize: false),
        new("digits", 1_797, 64, 10, Standardize: false),
        new("iris", 150, 4, 3, Standardize: true),
        new("wine", 178, 13, 3, Standardize: true),
        new("breast_cancer", 569, 30, 2, Standardize: true),
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

    /// <summary>Returns the whole dataset, reading its files on first use.</summary>
    /// <exception cref="KeyNotFoundException">No built-in dataset has that name.</exception>
    public Dataset Load(string name)
    {
        var info = Find(name) ?? throw new KeyNotFoundException(
            $"Unknown dataset '{name}'; built-in datasets are {string.Join(", ", BuiltIn.Select(d => d.Name))}.");

        return _loaded.GetOrAdd(name, _ => new Lazy<Dataset>(() => Read(info))).Value;
    }

    private Dataset Read(DatasetInfo info)
    {
        var dataset = info.Name switch
        {
            "mnist10k" => ReadMnist(info),
            "digits" => ReadCsv(info, "digits.csv.gz", scale: 1f / 16f),
            "iris" => ReadCsv(info, "iris.csv", scale: 1f),
            "wine" => ReadCsv(info, "wine_data.csv", scale: 1f),
            "breast_cancer" => ReadCsv(info, "breast_cancer.csv", scale: 1f),
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

        // Grey levels 0..255 become [0, 1], the scale the usual MNIST set-ups train on.
        var features = Array.ConvertAll(pixels, pixel => pixel / 255f);
        var labels = Array.ConvertAll(labelBytes, label => (int)label);
        return new Dataset(info.Name, features, labels, imageDimensions[1] * imageDimensions[2], info.ClassCount);
    }

    private Dataset ReadCsv(DatasetInfo info, string fileName, float scale)
    {
        var (features, labels, featureCount) = CsvDatasetReader.Read(Path.Combine(DataDirectory, fileName));

        for (var i = 0; i < features.Length; i++)
        {
            features[i] *= scale;
        }

        var outOfRange = Array.FindIndex(labels, label => label < 0 || label >= info.ClassCount);
        if (outOfRange >= 0)
        {
            throw new InvalidDataException(
                $"Dataset '{info.Name}' example {outOfRange} has class {labels[outOfRange]}; expected 0 to {info.ClassCount - 1}.");
        }

        return new Dataset(info.Name, features, labels, featureCount, info.ClassCount);
    }
}
