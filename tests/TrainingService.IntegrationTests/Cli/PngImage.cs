using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace TrainingService.IntegrationTests.Cli;

/// <summary>
/// A decoded 8-bit, non-interlaced PNG in RGB or RGBA, the form SkiaSharp writes, read with nothing but the format
/// itself: the IHDR header, the zlib stream of the IDAT chunks and the five scanline filters.
/// </summary>
public sealed class PngImage
{
    private static readonly byte[] Signature = [137, 80, 78, 71, 13, 10, 26, 10];

    private PngImage(int width, int height, uint[] pixels)
    {
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    /// <summary>Width in pixels, as the IHDR chunk states it.</summary>
    public int Width { get; }

    /// <summary>Height in pixels, as the IHDR chunk states it.</summary>
    public int Height { get; }

    /// <summary>Every pixel as 0xRRGGBBAA, row by row.</summary>
    public uint[] Pixels { get; }

    /// <exception cref="InvalidDataException">The bytes are not a PNG of the supported kind.</exception>
    public static PngImage Decode(byte[] bytes)
    {
        if (bytes.Length < 8 || !bytes.AsSpan(0, 8).SequenceEqual(Signature))
        {
            throw new InvalidDataException("The file does not start with the PNG signature.");
        }

        var (header, data) = ReadChunks(bytes);
        var width = (int)BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(0, 4));
        var height = (int)BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(4, 4));
        var (bitDepth, colorType, interlace) = (header[8], header[9], header[12]);
        if (bitDepth != 8 || colorType is not (2 or 6) || interlace != 0)
        {
            throw new InvalidDataException($"Unsupported PNG: bit depth {bitDepth}, colour type {colorType}, interlace {interlace}.");
        }

        var channels = colorType == 6 ? 4 : 3;
        var raw = Unfilter(Inflate(data), width, height, channels);
        var pixels = new uint[width * height];
        for (var i = 0; i < pixels.Length; i++)
        {
            var o = i * channels;
            var alpha = channels == 4 ? raw[o + 3] : (byte)255;
            pixels[i] = ((uint)raw[o] << 24) | ((uint)raw[o + 1] << 16) | ((uint)raw[o + 2] << 8) | alpha;
        }

        return new PngImage(width, height, pixels);
    }

    private static (byte[] Header, byte[] Data) ReadChunks(byte[] bytes)
    {
        byte[]? header = null;
        using var data = new MemoryStream();
        for (var offset = 8; offset + 12 <= bytes.Length;)
        {
            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(offset, 4));
            var type = Encoding.ASCII.GetString(bytes, offset + 4, 4);
            var body = bytes.AsSpan(offset + 8, length);
            if (type == "IHDR")
            {
                header = body.ToArray();
            }
            else if (type == "IDAT")
            {
                data.Write(body);
            }

            offset += 12 + length;
        }

        return (header ?? throw new InvalidDataException("The PNG has no IHDR chunk."), data.ToArray());
    }

    private static byte[] Inflate(byte[] data)
    {
        using var zlib = new ZLibStream(new MemoryStream(data), CompressionMode.Decompress);
        using var output = new MemoryStream();
        zlib.CopyTo(output);
        return output.ToArray();
    }

    // Each scanline starts with its filter type; the filters predict a byte from the left, upper and upper-left bytes.
    private static byte[] Unfilter(byte[] filtered, int width, int height, int channels)
    {
        var stride = width * channels;
        var raw = new byte[stride * height];
        for (var y = 0; y < height; y++)
        {
            var filter = filtered[y * (stride + 1)];
            for (var x = 0; x < stride; x++)
            {
                var value = filtered[(y * (stride + 1)) + 1 + x];
                int left = x >= channels ? raw[(y * stride) + x - channels] : 0;
                int up = y > 0 ? raw[((y - 1) * stride) + x] : 0;
                int upLeft = x >= channels && y > 0 ? raw[((y - 1) * stride) + x - channels] : 0;
                var prediction = filter switch
                {
                    0 => 0,
                    1 => left,
                    2 => up,
                    3 => (left + up) / 2,
                    4 => Paeth(left, up, upLeft),
                    _ => throw new InvalidDataException($"Unknown PNG filter type {filter} on row {y}."),
                };
                raw[(y * stride) + x] = (byte)(value + prediction);
            }
        }

        return raw;
    }

    private static int Paeth(int left, int up, int upLeft)
    {
        var estimate = left + up - upLeft;
        var toLeft = Math.Abs(estimate - left);
        var toUp = Math.Abs(estimate - up);
        var toUpLeft = Math.Abs(estimate - upLeft);
        if (toLeft <= toUp && toLeft <= toUpLeft)
        {
            return left;
        }

        return toUp <= toUpLeft ? up : upLeft;
    }
}
