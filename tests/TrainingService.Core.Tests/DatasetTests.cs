using Training.V1;
using TrainingService.Core.Datasets;

namespace TrainingService.Core.Tests;

public class DatasetTests
{
    [Theory]
    [InlineData("mnist10k", 10_000, 784)]
    [InlineData("digits", 1_797, 64)]
    [InlineData("iris", 150, 4)]
    [InlineData("wine", 178, 13)]
    [InlineData("breast_cancer", 569, 30)]
    public void Load_BuiltIn_HasDeclaredShape(string name, int count, int featureCount)
    {
        var dataset = DatasetCatalog.Default.Load(name);

        Assert.Equal(count, dataset.Count);
        Assert.Equal(featureCount, dataset.FeatureCount);
        Assert.NotNull(dataset.Labels);
        Assert.All(dataset.Labels, label => Assert.InRange(label, 0, dataset.ClassCount - 1));
        Assert.Equal(dataset.ClassCount, dataset.Labels.Distinct().Count());
    }

    [Fact]
    public void Load_Mnist_PixelsScaledToUnitRange()
    {
        var dataset = DatasetCatalog.Default.Load("mnist10k");

        Assert.Equal(0f, dataset.Features.Min());
        Assert.Equal(1f, dataset.Features.Max());
    }

    [Fact]
    public void Load_Mnist_FirstLabelsMatchFile()
    {
        // The first label byte of the shipped file, read independently of IdxReader: offset 8 after the header.
        var raw = ReadGzip(Path.Combine(DatasetCatalog.Default.DataDirectory, "mnist10k-labels-idx1-ubyte.gz"));

        var dataset = DatasetCatalog.Default.Load("mnist10k");

        Assert.Equal(0x00000801, (raw[0] << 24) | (raw[1] << 16) | (raw[2] << 8) | raw[3]);
        Assert.Equal(raw.Skip(8).Take(20).Select(b => (int)b), dataset.Labels!.Take(20));
    }

    [Fact]
    public void Split_SameSeed_SameSplits()
    {
        var dataset = DatasetCatalog.Default.Load("digits");

        var first = DatasetSplits.Create(dataset, 0.1, 0.2, seed: 5);
        var second = DatasetSplits.Create(dataset, 0.1, 0.2, seed: 5);
        var other = DatasetSplits.Create(dataset, 0.1, 0.2, seed: 6);

        Assert.Equal(first.Train.Labels, second.Train.Labels);
        Assert.Equal(first.Test.Features, second.Test.Features);
        Assert.NotEqual(first.Train.Labels, other.Train.Labels);
    }

    [Fact]
    public void Split_Fractions_SizesAddUp()
    {
        var dataset = DatasetCatalog.Default.Load("mnist10k");

        var splits = DatasetSplits.Create(dataset, 0.1, 0.2, seed: 1);

        Assert.Equal(2_000, splits.Test.Count);
        Assert.Equal(1_000, splits.Validation.Count);
        Assert.Equal(7_000, splits.Train.Count);
    }

    [Fact]
    public void Standardize_TrainSplit_ZeroMeanUnitVariance()
    {
        var splits = DatasetSplits.Create(DatasetCatalog.Default.Load("wine"), 0.2, 0.2, seed: 3);

        var (standardized, _, _) = Standardizer.Apply(splits);

        var train = standardized.Train;
        for (var column = 0; column < train.FeatureCount; column++)
        {
            var values = Enumerable.Range(0, train.Count).Select(row => (double)train.Features[row * train.FeatureCount + column]).ToArray();
            var mean = values.Average();
            var variance = values.Select(v => (v - mean) * (v - mean)).Average();
            Assert.Equal(0.0, mean, 4);
            Assert.Equal(1.0, variance, 3);
        }
    }

    [Fact]
    public void IdxReader_TruncatedFile_ThrowsInvalidData()
    {
        var path = Path.GetTempFileName();
        File.WriteAllBytes(path, [0, 0, 0x08, 1, 0, 0, 0, 10, 1, 2, 3]);

        try
        {
            var error = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path));
            Assert.Contains("ends before", error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static byte[] ReadGzip(string path)
    {
        using var gzip = new System.IO.Compression.GZipStream(File.OpenRead(path), System.IO.Compression.CompressionMode.Decompress);
        using var buffer = new MemoryStream();
        gzip.CopyTo(buffer);
        return buffer.ToArray();
    }
}

public class SyntheticDatasetTests
{
    [Fact]
    public void Linear_DefaultSettings_LineOnGrid()
    {
        var dataset = DatasetCatalog.Default.Load(new DatasetSpec { Name = "linear" }, seed: 1);

        Assert.Equal(64, dataset.Count);
        Assert.False(dataset.IsClassification);
        Assert.Equal(-1f, dataset.Features[0]);
        Assert.Equal(1f, dataset.Features[^1]);
        Assert.All(Enumerable.Range(0, 64), i => Assert.Equal(2 * dataset.Features[i], dataset.Targets![i], 5));
    }

    [Fact]
    public void Linear_SlopeInterceptAndPoints_Applied()
    {
        var options = new SyntheticOptions { Points = 11, Slope = -3, Intercept = 0.5 };

        var dataset = DatasetCatalog.Default.Load(new DatasetSpec { Name = "linear", Synthetic = options }, seed: 1);

        Assert.Equal(11, dataset.Count);
        Assert.Equal(-3 * 0.2f + 0.5f, dataset.Targets![6], 5);
    }

    [Fact]
    public void Xor_NoNoise_LabelIsSignDisagreement()
    {
        var options = new SyntheticOptions { Noise = 0 };

        var dataset = DatasetCatalog.Default.Load(new DatasetSpec { Name = "xor", Synthetic = options }, seed: 4);

        Assert.Equal(400, dataset.Count);
        for (var i = 0; i < dataset.Count; i++)
        {
            var expected = dataset.Features[2 * i] > 0 != dataset.Features[2 * i + 1] > 0 ? 1 : 0;
            Assert.Equal(expected, dataset.Labels![i]);
        }
    }

    [Fact]
    public void Spirals_SameSeed_SameDataBothClasses()
    {
        var spec = new DatasetSpec { Name = "spirals" };

        var first = DatasetCatalog.Default.Load(spec, seed: 8);
        var second = DatasetCatalog.Default.Load(spec, seed: 8);
        var other = DatasetCatalog.Default.Load(spec, seed: 9);

        Assert.Equal(first.Features, second.Features);
        Assert.NotEqual(first.Features, other.Features);
        Assert.Equal(200, first.Labels!.Count(label => label == 1));
    }
}
