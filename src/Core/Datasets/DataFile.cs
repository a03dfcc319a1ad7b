using System.IO.Compression;

namespace TrainingService.Core.Datasets;

internal static class DataFile
{
    /// <summary>Opens a data file for reading, decompressing it on the fly when its name ends in .gz.</summary>
    public static Stream Open(string path)
    {
        var file = File.OpenRead(path);
        return path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
    }
}
