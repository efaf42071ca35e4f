using System.Buffers.Binary;

namespace Restora.Models.Ncnn;

/// <summary>How a tagged weight block of a <c>.bin</c> file was stored.</summary>
internal enum NcnnWeightKind
{
    Float32,
    Float16,
    /// <summary>Raw signed bytes: the weights of an int8-quantized layer, meaningful only with its scales.</summary>
    Int8,
    /// <summary>A 256-float table followed by one byte index per weight.</summary>
    Table,
}

/// <summary>
/// Reads the weight blocks of a <c>.bin</c> file in layer order. Convolution, Deconvolution and InnerProduct
/// weights start with a 4-byte tag (0x01306B47 fp16, 0 or 0x0002C056 fp32, 0x000D4B38 int8, anything else a
/// 256-float table and byte indices); biases, PReLU slopes and Scale data are raw fp32 without a tag. Every block
/// is padded to 4 bytes. Sizes are checked against the bytes left before anything is allocated.
/// </summary>
internal sealed class NcnnWeightReader
{
    public const uint TagFloat16 = 0x01306B47;
    public const uint TagFloat32 = 0x0002C056;
    public const uint TagInt8 = 0x000D4B38;

    readonly byte[] data;
    readonly string path;
    int position;

    public NcnnWeightReader(byte[] data, string path)
    {
        this.data = data;
        this.path = path;
    }

    public static NcnnWeightReader Open(string path)
    {
        if (!File.Exists(path)) throw new InvalidDataException($"{path}: no such file");
        try
        {
            long length = new FileInfo(path).Length;
            if (length > Array.MaxLength) throw new InvalidDataException($"{path}: {length} bytes is too large for a .bin file");
            return new NcnnWeightReader(File.ReadAllBytes(path), path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"{path}: {e.Message}");
        }
    }

    public int Position => position;
    public int Remaining => data.Length - position;

    /// <summary>A tagged block of <paramref name="count"/> weights, converted to float32.</summary>
    public float[] ReadTagged(long count, string what) => ReadTagged(count, what, out _);

    public float[] ReadTagged(long count, string what, out NcnnWeightKind kind)
    {
        CheckCount(count, what);
        Need(4, what, "its 4-byte storage tag");
        uint tag = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(position));
        position += 4;
        int n = (int)count;
        switch (tag)
        {
            case TagFloat16:
            {
                kind = NcnnWeightKind.Float16;
                var src = Take(2L * n, what, $"{n} fp16 weights");
                var values = new float[n];
                for (int i = 0; i < n; i++) values[i] = (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(src.Slice(2 * i)));
                return values;
            }
            case TagInt8:
            {
                kind = NcnnWeightKind.Int8;
                var src = Take(n, what, $"{n} int8 weights");
                var values = new float[n];
                for (int i = 0; i < n; i++) values[i] = (sbyte)src[i];
                return values;
            }
            case 0:
            case TagFloat32:
                kind = NcnnWeightKind.Float32;
                return ReadFloats(n, what, $"{n} fp32 weights");
            default:
            {
                kind = NcnnWeightKind.Table;
                var table = ReadFloats(256, what, "its 256-entry quantization table");
                var src = Take(n, what, $"{n} table indices");
                var values = new float[n];
                for (int i = 0; i < n; i++) values[i] = table[src[i]];
                return values;
            }
        }
    }

    /// <summary>Untagged fp32 values (biases, PReLU slopes, Scale data).</summary>
    public float[] ReadRaw(long count, string what)
    {
        CheckCount(count, what);
        return ReadFloats((int)count, what, $"{count} fp32 values");
    }

    /// <summary>Throws unless every byte of the file has been read: the rules consume real files exactly, so a
    /// remainder means the weights and the .param disagree.</summary>
    public void CheckEnd()
    {
        if (position != data.Length)
            throw new InvalidDataException($"{path}: {data.Length - position} bytes are left after the last layer's weights (read {position} of {data.Length}); the .bin does not belong to this .param");
    }

    float[] ReadFloats(int n, string what, string description)
    {
        var src = Take(4L * n, what, description);
        var values = new float[n];
        for (int i = 0; i < n; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(src.Slice(4 * i));
        return values;
    }

    /// <summary>The next <paramref name="bytes"/> bytes, after which the position moves on to a multiple of 4.</summary>
    ReadOnlySpan<byte> Take(long bytes, string what, string description)
    {
        long padded = (bytes + 3) & ~3L;
        Need(padded, what, description + (padded != bytes ? " and its padding to 4 bytes" : ""));
        var span = data.AsSpan(position, (int)bytes);
        position += (int)padded;
        return span;
    }

    void Need(long bytes, string what, string description)
    {
        if (bytes > data.Length - position)
            throw new InvalidDataException($"{path}: {what} needs {bytes} bytes for {description} at offset {position}, the file has {data.Length - position} left");
    }

    void CheckCount(long count, string what)
    {
        // A weight takes at least one byte, so a count beyond the bytes left can never be satisfied.
        if (count < 0 || count > data.Length - position)
            throw new InvalidDataException($"{path}: {what} declares {count} values, more than the {data.Length - position} bytes left at offset {position}");
    }
}
