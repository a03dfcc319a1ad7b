using System.Buffers.Binary;

namespace TrainingService.Core.Datasets;

/// <summary>
/// Reads the IDX format of the MNIST files: a big-endian header of a magic number (two zero bytes, a type
/// code and the number of dimensions), one 32-bit size per dimension, then the values. Only unsigned bytes
/// (type code 0x08) occur in MNIST, so only they are read. Files ending in .gz are decompressed on the fly.
/// </summary>
public static class IdxReader
{
    private const byte UnsignedByteType = 0x08;

    /// <summary>Reads an IDX file into its dimension sizes and its values in row-major order.</summary>
    public static (int[] Dimensions, byte[] Values) Read(string path)
    {
        using var stream = DataFile.Open(path);
        var header = ReadExactly(stream, 4, path);

        if (header[0] != 0 || header[1] != 0)
        {
            throw new InvalidDataException($"'{path}' is not an IDX file: its magic number does not start with two zero bytes.");
        }

        if (header[2] != UnsignedByteType)
        {
            throw new InvalidDataException($"'{path}' holds IDX type 0x{header[2]:x2}; only unsigned bytes (0x08) are supported.");
        }

        var dimensions = ReadDimensions(stream, header[3], path);
        var valueCount = dimensions.Aggregate(1L, (product, size) => product * size);
        var values = ReadExactly(stream, checked((int)valueCount), path);
        return (dimensions, values);
    }

    private static int[] ReadDimensions(Stream stream, int dimensionCount, string path)
    {
        if (dimensionCount is < 1 or > 4)
        {
            throw new InvalidDataException($"'{path}' declares {dimensionCount} dimensions; expected 1 to 4.");
        }

        var dimensions = new int[dimensionCount];
        var sizes = ReadExactly(stream, 4 * dimensionCount, path);

        for (var i = 0; i < dimensionCount; i++)
        {
            dimensions[i] = BinaryPrimitives.ReadInt32BigEndian(sizes.AsSpan(4 * i, 4));

            if (dimensions[i] < 1)
            {
                throw new InvalidDataException($"'{path}' declares a size of {dimensions[i]} for dimension {i}.");
            }
        }

        return dimensions;
    }

    private static byte[] ReadExactly(Stream stream, int count, string path)
    {
        var buffer = new byte[count];

        try
        {
            stream.ReadExactly(buffer);
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException($"'{path}' ends before the {count} bytes its header announces.");
        }

        return buffer;
    }
}
