using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Restora.Core.Nn;

namespace Restora.Core.Serialization;

/// <summary>
/// The safetensors checkpoint format (huggingface/safetensors): an 8-byte little-endian header length, a JSON
/// header mapping each tensor name to its dtype, shape and [begin, end) byte offsets into the data that follows,
/// an optional "__metadata__" map of strings, then the raw little-endian data.
/// Writes F32 (I64 for integer counters); reads F32, F16, BF16, F64, I64 and I32, converting to float32.
/// </summary>
public static class SafeTensors
{
    const string MetadataKey = "__metadata__";
    // The reference implementation refuses headers over 100 MB; so do we, before allocating.
    const long MaxHeader = 100_000_000;

    public sealed record Checkpoint(OrderedDictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata);

    public static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors,
        IReadOnlyDictionary<string, string>? metadata = null, IReadOnlySet<string>? integerKeys = null)
    {
        using var fs = File.Create(path);
        Save(fs, tensors, metadata, integerKeys);
    }

    /// <summary>
    /// Writes tensors sorted by name (data laid out in that order, as the reference writer does) with the header
    /// padded by spaces to a multiple of 8 bytes so the data stays aligned.
    /// </summary>
    public static void Save(Stream stream, IEnumerable<KeyValuePair<string, Tensor>> tensors,
        IReadOnlyDictionary<string, string>? metadata = null, IReadOnlySet<string>? integerKeys = null)
    {
        var items = tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
        for (int i = 1; i < items.Count; i++)
            if (items[i].Key == items[i - 1].Key) throw new ArgumentException($"safetensors: duplicate tensor name '{items[i].Key}'");
        if (items.Any(kv => kv.Key == MetadataKey)) throw new ArgumentException($"safetensors: '{MetadataKey}' is reserved");

        using var headerBuffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(headerBuffer))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject(MetadataKey);
                foreach (var (k, v) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal)) w.WriteString(k, v);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, t) in items)
            {
                bool integer = integerKeys?.Contains(name) == true;
                long bytes = (long)t.Length * (integer ? 8 : 4);
                w.WriteStartObject(name);
                w.WriteString("dtype", integer ? "I64" : "F32");
                w.WriteStartArray("shape");
                foreach (var d in t.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + bytes);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += bytes;
            }
            w.WriteEndObject();
        }
        int pad = (int)((8 - headerBuffer.Length % 8) % 8);
        for (int i = 0; i < pad; i++) headerBuffer.WriteByte((byte)' ');

        Span<byte> len = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)headerBuffer.Length);
        stream.Write(len);
        headerBuffer.Position = 0;
        headerBuffer.CopyTo(stream);
        foreach (var (name, t) in items)
        {
            if (integerKeys?.Contains(name) == true)
            {
                var buf = new byte[t.Length * 8];
                for (int i = 0; i < t.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(buf.AsSpan(i * 8), checked((long)t.ReadOnlySpan[i]));
                stream.Write(buf);
            }
            else if (BitConverter.IsLittleEndian) stream.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(t.ReadOnlySpan));
            else
            {
                var buf = new byte[t.Length * 4];
                for (int i = 0; i < t.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(buf.AsSpan(i * 4), t.ReadOnlySpan[i]);
                stream.Write(buf);
            }
        }
    }

    public static Checkpoint Load(string path)
    {
        using var fs = File.OpenRead(path);
        try { return Load(fs); }
        catch (InvalidDataException e) { throw new InvalidDataException($"{path}: {e.Message}", e); }
    }

    /// <summary>
    /// Reads every tensor into persistent float32 tensors, in header order, checking offsets against the spec. Every
    /// size the header declares is checked before anything is allocated for it: against the bytes the stream still
    /// holds where it can say (a file), and always against what one array can hold. Anything malformed is an
    /// <see cref="InvalidDataException"/>.
    /// </summary>
    public static Checkpoint Load(Stream stream)
    {
        long? left = stream.CanSeek ? stream.Length - stream.Position : null;
        Span<byte> len = stackalloc byte[8];
        ReadExactly(stream, len, "its 8-byte header length");
        ulong headerLen = BinaryPrimitives.ReadUInt64LittleEndian(len);
        if (headerLen > MaxHeader) throw new InvalidDataException($"safetensors header of {headerLen} bytes is larger than {MaxHeader}");
        if (left is long l && (long)headerLen > l - 8)
            throw new InvalidDataException($"truncated safetensors: the header says {headerLen} bytes, the file has {l - 8} after the length");
        var header = new byte[headerLen];
        ReadExactly(stream, header, "its header");
        if (header.Length == 0 || header[0] != (byte)'{') throw new InvalidDataException("safetensors header does not start with '{'");
        // JsonDocument parses bytes that are not UTF-8 and only fails when a name is read, with an exception of its own.
        if (!System.Text.Unicode.Utf8.IsValid(header)) throw new InvalidDataException("safetensors header is not valid UTF-8");

        var metadata = new Dictionary<string, string>();
        var entries = ParseHeader(header, metadata);

        // The spec requires the buffer to be covered exactly, without holes or overlaps.
        var byOffset = entries.OrderBy(e => e.Begin).ThenBy(e => e.End).ToList();
        long expected = 0;
        foreach (var e in byOffset)
        {
            if (e.Begin != expected) throw new InvalidDataException($"tensor '{e.Name}' starts at byte {e.Begin}, expected {expected} (hole or overlap)");
            long n = Elements(e.Shape, e.Name);
            long needed = n <= long.MaxValue / 8 ? n * DtypeSize(e.Dtype, e.Name) : long.MaxValue;
            if (e.End - e.Begin != needed)
                throw new InvalidDataException($"tensor '{e.Name}' {e.Dtype}{Tensor.FormatShape(e.Shape)} needs {needed} bytes, offsets give {e.End - e.Begin}");
            expected = e.End;
        }
        long available = left is long total ? total - 8 - (long)headerLen : long.MaxValue;
        if (expected > available)
            throw new InvalidDataException($"truncated safetensors: the tensors need {expected} bytes of data, the file has {available}");
        if (expected > Array.MaxLength) throw new InvalidDataException($"safetensors data of {expected} bytes is too large to read at once");
        var data = new byte[expected];
        ReadExactly(stream, data, "its tensor data");

        var tensors = new OrderedDictionary<string, Tensor>();
        foreach (var e in entries)
        {
            var t = Tensor.Persistent(e.Shape);
            Decode(e.Dtype, data.AsSpan((int)e.Begin, (int)(e.End - e.Begin)), t.Span);
            tensors.Add(e.Name, t);
        }
        return new Checkpoint(tensors, metadata);
    }

    static void ReadExactly(Stream stream, Span<byte> buffer, string what)
    {
        try { stream.ReadExactly(buffer); }
        catch (EndOfStreamException) { throw new InvalidDataException($"truncated safetensors: the file ends inside {what}"); }
    }

    /// <summary>The header's tensors (name, dtype, shape, data offsets); fills <paramref name="metadata"/> from "__metadata__".</summary>
    static List<(string Name, string Dtype, int[] Shape, long Begin, long End)> ParseHeader(byte[] header, Dictionary<string, string> metadata)
    {
        var entries = new List<(string Name, string Dtype, int[] Shape, long Begin, long End)>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            using var doc = JsonDocument.Parse(header);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException("safetensors header is not a JSON object");
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (!names.Add(prop.Name)) throw new InvalidDataException($"safetensors header names '{prop.Name}' twice");
                if (prop.Value.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"safetensors entry '{prop.Name}' is not an object");
                if (prop.Name == MetadataKey)
                {
                    foreach (var m in prop.Value.EnumerateObject())
                        metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()!
                            : throw new InvalidDataException($"safetensors metadata '{m.Name}' is not a string");
                    continue;
                }
                var dtype = Field(prop, "dtype", JsonValueKind.String).GetString()!;
                var shape = Field(prop, "shape", JsonValueKind.Array).EnumerateArray()
                    .Select(e => e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int d) && d >= 0 ? d : throw new InvalidDataException($"tensor '{prop.Name}': shape holds {e}, not a size"))
                    .ToArray();
                var offs = Field(prop, "data_offsets", JsonValueKind.Array).EnumerateArray()
                    .Select(e => e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out long o) && o >= 0 ? o : throw new InvalidDataException($"tensor '{prop.Name}': data_offsets holds {e}"))
                    .ToArray();
                if (offs.Length != 2 || offs[0] > offs[1]) throw new InvalidDataException($"tensor '{prop.Name}': bad data_offsets");
                entries.Add((prop.Name, dtype, shape, offs[0], offs[1]));
            }
        }
        // JsonDocument parses an escaped lone surrogate ("\uDDDD") and only refuses it, with an
        // InvalidOperationException, when the string is read; the block above does nothing but read the document.
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new InvalidDataException($"safetensors header is not valid JSON: {e.Message}", e);
        }
        return entries;
    }

    static JsonElement Field(JsonProperty tensor, string name, JsonValueKind kind) =>
        tensor.Value.TryGetProperty(name, out var value) && value.ValueKind == kind ? value
            : throw new InvalidDataException($"tensor '{tensor.Name}' has no {name} {(kind == JsonValueKind.Array ? "array" : "string")}");

    /// <summary>The element count of a shape; one that overflows cannot match any real file.</summary>
    static long Elements(int[] shape, string name)
    {
        long n = 1;
        foreach (var d in shape)
            n = d == 0 || n == 0 ? 0 : n <= long.MaxValue / d ? n * d : throw new InvalidDataException($"tensor '{name}': shape {Tensor.FormatShape(shape)} is too large");
        return n;
    }

    static int DtypeSize(string dtype, string name) => dtype switch
    {
        "F32" or "I32" => 4,
        "F16" or "BF16" => 2,
        "F64" or "I64" => 8,
        _ => throw new InvalidDataException($"tensor '{name}': dtype {dtype} is not supported (F32, F16, BF16, F64, I64, I32 are)"),
    };

    static void Decode(string dtype, ReadOnlySpan<byte> src, Span<float> dst)
    {
        switch (dtype)
        {
            case "F32":
                for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadSingleLittleEndian(src[(i * 4)..]);
                break;
            case "F16":
                for (int i = 0; i < dst.Length; i++) dst[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(src[(i * 2)..]);
                break;
            case "BF16":
                // bfloat16 is the top half of a float32.
                for (int i = 0; i < dst.Length; i++)
                    dst[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(src[(i * 2)..]) << 16);
                break;
            case "F64":
                for (int i = 0; i < dst.Length; i++) dst[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(src[(i * 8)..]);
                break;
            case "I64":
                for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadInt64LittleEndian(src[(i * 8)..]);
                break;
            case "I32":
                for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadInt32LittleEndian(src[(i * 4)..]);
                break;
        }
    }

    /// <summary>Writes a module's state dict (PyTorch-style dotted keys), counters as I64.</summary>
    public static void SaveModule(string path, Module module, IReadOnlyDictionary<string, string>? metadata = null) =>
        Save(path, module.StateDict(), metadata, module.IntegerStateKeys());

    /// <summary>Loads a checkpoint into a module (strict: every key must match both ways).</summary>
    public static Dictionary<string, string> LoadModule(string path, Module module, bool strict = true)
    {
        var ck = Load(path);
        try
        {
            module.LoadStateDict(ck.Tensors, strict);
        }
        finally
        {
            foreach (var t in ck.Tensors.Values) t.Dispose();
        }
        return ck.Metadata;
    }
}
