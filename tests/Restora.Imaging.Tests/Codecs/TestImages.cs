using System.Buffers.Binary;
using System.IO.Compression;

namespace Restora.Imaging.Tests.Codecs;

/// <summary>Images and byte-level PNG helpers the codec tests build in code instead of shipping files.</summary>
internal static class TestImages
{
    /// <summary>Random samples that are exact codes of the depth, including both extremes, so a lossless round trip must be exact.</summary>
    public static Image RandomCodes(int width, int height, PixelLayout layout, int bitDepth, int seed = 1)
    {
        var image = new Image(width, height, layout, bitDepth);
        var random = new Random(seed);
        int max = image.MaxValue;
        for (int i = 0; i < image.Data.Length; i++)
            image.Data[i] = random.Next(max + 1) / (float)max;
        image.Data[0] = 0;
        image.Data[^1] = 1;
        return image;
    }

    /// <summary>Smooth color ramps: what lossy codecs are built for, so their error stays small and measurable.</summary>
    public static Image Smooth(int width, int height, PixelLayout layout)
    {
        var image = new Image(width, height, layout);
        for (int c = 0; c < image.Channels; c++)
        {
            var plane = image.Plane(c);
            for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                double v = 0.5 + 0.4 * Math.Sin((x * (c + 1) + y * (3 - c % 3)) / 23.0);
                plane[y * width + x] = Image.ToCode((float)v, 255) / 255f;
            }
        }
        return image;
    }

    public static int MaxCodeDifference(Image a, Image b, int channels, int maxValue = 255)
    {
        Assert.Equal((a.Width, a.Height), (b.Width, b.Height));
        int worst = 0;
        for (int c = 0; c < channels; c++)
        {
            var pa = a.Plane(c);
            var pb = b.Plane(c);
            for (int i = 0; i < pa.Length; i++)
                worst = Math.Max(worst, Math.Abs(Image.ToCode(pa[i], maxValue) - Image.ToCode(pb[i], maxValue)));
        }
        return worst;
    }

    public static double MeanAbsCodeDifference(Image a, Image b, int channels)
    {
        double sum = 0;
        for (int c = 0; c < channels; c++)
        {
            var pa = a.Plane(c);
            var pb = b.Plane(c);
            for (int i = 0; i < pa.Length; i++)
                sum += Math.Abs(Image.ToCode(pa[i], 255) - Image.ToCode(pb[i], 255));
        }
        return sum / (channels * (double)a.PixelCount);
    }

    public static void AssertSameCodes(Image expected, Image actual)
    {
        Assert.Equal(expected.Layout, actual.Layout);
        Assert.Equal(expected.BitDepth, actual.BitDepth);
        Assert.Equal(0, MaxCodeDifference(expected, actual, expected.Channels, expected.MaxValue));
    }

    // ---- PNG bytes --------------------------------------------------------------------------------------

    public static byte[] PngChunk(string type, ReadOnlySpan<byte> data)
    {
        var chunk = new byte[12 + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(chunk, data.Length);
        System.Text.Encoding.ASCII.GetBytes(type).CopyTo(chunk, 4);
        data.CopyTo(chunk.AsSpan(8));
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + data.Length), Crc32(chunk.AsSpan(4, 4 + data.Length)));
        return chunk;
    }

    /// <summary>The offset of the first chunk of this type (its length field), or -1.</summary>
    public static int FindChunk(ReadOnlySpan<byte> png, string type)
    {
        for (int i = 8; i + 8 <= png.Length;)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(png[i..]);
            if (System.Text.Encoding.ASCII.GetString(png.Slice(i + 4, 4)) == type) return i;
            i += 12 + length;
        }
        return -1;
    }

    /// <summary>A copy of the PNG whose IHDR claims another size, with a valid CRC so only the size is wrong.</summary>
    public static byte[] WithPngSize(byte[] png, uint width, uint height)
    {
        var copy = (byte[])png.Clone();
        int ihdr = FindChunk(copy, "IHDR");
        BinaryPrimitives.WriteUInt32BigEndian(copy.AsSpan(ihdr + 8), width);
        BinaryPrimitives.WriteUInt32BigEndian(copy.AsSpan(ihdr + 12), height);
        BinaryPrimitives.WriteUInt32BigEndian(copy.AsSpan(ihdr + 8 + 13), Crc32(copy.AsSpan(ihdr + 4, 4 + 13)));
        return copy;
    }

    /// <summary>A copy of the PNG with one more chunk (valid CRC) just before its first IDAT.</summary>
    public static byte[] WithPngChunk(byte[] png, string type, byte[] data)
    {
        int idat = FindChunk(png, "IDAT");
        var chunk = new byte[12 + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(chunk, data.Length);
        System.Text.Encoding.ASCII.GetBytes(type).CopyTo(chunk, 4);
        data.CopyTo(chunk, 8);
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + data.Length), Crc32(chunk.AsSpan(4, 4 + data.Length)));
        return [.. png.AsSpan(0, idat), .. chunk, .. png.AsSpan(idat)];
    }

    /// <summary>The zlib stream of <paramref name="bytes"/>, as PNG's compressed chunks hold it.</summary>
    public static byte[] Deflate(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var zlib = new ZLibStream(output, CompressionLevel.SmallestSize, leaveOpen: true)) zlib.Write(bytes);
        return output.ToArray();
    }

    /// <summary>The raw scanlines (filter byte + samples) of a single-IDAT PNG, inflated independently of libspng.</summary>
    public static byte[] InflateIdat(byte[] png)
    {
        int idat = FindChunk(png, "IDAT");
        int length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(idat));
        using var zlib = new ZLibStream(new MemoryStream(png, idat + 8, length), CompressionMode.Decompress);
        using var raw = new MemoryStream();
        zlib.CopyTo(raw);
        return raw.ToArray();
    }

    private static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xEDB88320 & (uint)-(int)(crc & 1));
        }
        return ~crc;
    }
}

/// <summary>A fresh folder under the temp directory, deleted with everything in it.</summary>
internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("restora-codecs-").FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public string[] Names() => Directory.GetFileSystemEntries(Path).Select(System.IO.Path.GetFileName).Order().ToArray()!;

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
