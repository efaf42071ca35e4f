using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;

namespace Restora.Metrics.Tests;

/// <summary>
/// Just enough of numpy's file formats to read ../shared/data/niqe_pris_params.npz: an .npz is a zip of .npy
/// files, and an .npy is the magic "\x93NUMPY", a version, a little-endian header length, a Python-dict header
/// (dtype, fortran_order, shape) and the raw array. Only little-endian float64 ('&lt;f8') arrays are accepted,
/// since that is all the model holds; anything else is an error rather than a guess.
/// </summary>
internal static partial class Npz
{
    /// <summary>One array: its shape and its elements in row-major (C) order whatever order the file used.</summary>
    public sealed record Array(int[] Shape, double[] RowMajor);

    /// <summary>Every array of the archive by name (the .npy suffix dropped).</summary>
    public static Dictionary<string, Array> Read(string path)
    {
        using var zip = ZipFile.OpenRead(path);
        var arrays = new Dictionary<string, Array>();
        foreach (var entry in zip.Entries)
        {
            using var stream = entry.Open();
            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            arrays[Path.GetFileNameWithoutExtension(entry.FullName)] = ParseNpy(memory.ToArray(), entry.FullName);
        }
        return arrays;
    }

    static Array ParseNpy(byte[] bytes, string name)
    {
        ReadOnlySpan<byte> magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];
        if (bytes.Length < 10 || !bytes.AsSpan(0, 6).SequenceEqual(magic))
            throw new InvalidDataException($"{name}: not an .npy file");
        int major = bytes[6];
        // Version 1 stores the header length in 2 bytes, versions 2 and 3 in 4.
        int headerLength, headerStart;
        if (major == 1) { headerLength = BitConverter.ToUInt16(bytes, 8); headerStart = 10; }
        else { headerLength = (int)BitConverter.ToUInt32(bytes, 8); headerStart = 12; }
        string header = Encoding.Latin1.GetString(bytes, headerStart, headerLength);

        var descr = DescrPattern().Match(header);
        if (!descr.Success || descr.Groups[1].Value != "<f8")
            throw new InvalidDataException($"{name}: expected little-endian float64 ('<f8'), header is {header.Trim()}");
        var fortran = FortranPattern().Match(header);
        if (!fortran.Success) throw new InvalidDataException($"{name}: no fortran_order in {header.Trim()}");
        bool columnMajor = fortran.Groups[1].Value == "True";
        var shapeText = ShapePattern().Match(header);
        if (!shapeText.Success) throw new InvalidDataException($"{name}: no shape in {header.Trim()}");
        int[] shape = shapeText.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(int.Parse).ToArray();

        int count = shape.Aggregate(1, (a, b) => a * b);
        int dataStart = headerStart + headerLength;
        if (bytes.Length - dataStart != 8 * count)
            throw new InvalidDataException($"{name}: {bytes.Length - dataStart} data bytes for {count} float64 values");
        var raw = new double[count];
        for (int i = 0; i < count; i++) raw[i] = BitConverter.ToDouble(bytes, dataStart + 8 * i);

        if (!columnMajor || shape.Length < 2) return new Array(shape, raw);
        if (shape.Length != 2) throw new InvalidDataException($"{name}: Fortran-order arrays of {shape.Length} dimensions are not handled");
        int rows = shape[0], cols = shape[1];
        var rowMajor = new double[count];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                rowMajor[r * cols + c] = raw[c * rows + r];
        return new Array(shape, rowMajor);
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex FortranPattern();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
