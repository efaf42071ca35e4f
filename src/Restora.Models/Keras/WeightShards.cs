using System.Buffers.Binary;
using System.Text.Json;

namespace Restora.Models.Keras;

/// <summary>
/// The weights of a TF.js layers-model: each manifest group's shard files are one byte stream, holding the
/// group's weights back to back in manifest order. Weights may be float32, or quantized as uint8/uint16 with an
/// affine (scale, min) or as float16, which the manifest's "quantization" entry says.
/// </summary>
internal static class WeightShards
{
    public sealed record Entry(string Name, int[] Shape, float[] Values);

    public static Dictionary<string, Entry> Read(string folder, JsonElement manifest)
    {
        var result = new Dictionary<string, Entry>();
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var group in manifest.EnumerateArray())
        {
            var bytes = Concatenate(folder, group.GetProperty("paths").EnumerateArray().Select(p => p.GetString()!), used);
            long offset = 0;
            foreach (var w in group.GetProperty("weights").EnumerateArray())
            {
                string name = w.GetProperty("name").GetString()!;
                var shape = w.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
                // Sizes are checked against the shard bytes before anything is allocated for them.
                long count = 1;
                foreach (int d in shape)
                    count = d < 0 ? throw new KerasFormatException($"weight '{name}' has a negative size in its shape")
                        : count * d > bytes.Length ? throw new KerasFormatException($"weight '{name}' of shape [{string.Join(", ", shape)}] is larger than its shards ({bytes.Length} bytes)")
                        : count * d;
                offset += Decode(w, name, bytes, offset, count, out var values);
                result[name] = new Entry(name, shape, values);
            }
            if (offset != bytes.Length)
                throw new KerasFormatException($"{folder}: weight shards hold {bytes.Length} bytes but the manifest describes {offset}");
        }
        return result;
    }

    static byte[] Concatenate(string folder, IEnumerable<string> paths, HashSet<string> used)
    {
        using var all = new MemoryStream();
        foreach (var p in paths)
        {
            // Each shard is read once: a manifest naming one file a thousand times would otherwise make a small
            // model take a thousand times its size in memory.
            if (!used.Add(p)) throw new KerasFormatException($"{folder}: weight shard '{p}' is listed twice");
            // Shard paths are relative names in the package; refuse anything that climbs out of the folder.
            string full = Path.GetFullPath(Path.Combine(folder, p));
            if (!full.StartsWith(Path.GetFullPath(folder) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                throw new KerasFormatException($"{folder}: weight shard path '{p}' leaves the model folder");
            if (!File.Exists(full)) throw new KerasFormatException($"{full}: weight shard is missing");
            using var f = File.OpenRead(full);
            f.CopyTo(all);
        }
        return all.ToArray();
    }

    /// <summary>Fills <paramref name="values"/> from the stream at offset; returns the bytes consumed.</summary>
    static long Decode(JsonElement w, string name, byte[] bytes, long offset, long count, out float[] values)
    {
        string dtype = w.TryGetProperty("dtype", out var dt) ? dt.GetString() ?? "float32" : "float32";
        if (dtype != "float32") throw new KerasFormatException($"weight '{name}' has dtype {dtype}; only float32 weights are supported");
        string stored = "float32";
        double scale = 1, min = 0;
        if (w.TryGetProperty("quantization", out var q))
        {
            stored = q.GetProperty("dtype").GetString() ?? "";
            if (stored is "uint8" or "uint16")
            {
                scale = q.GetProperty("scale").GetDouble();
                min = q.GetProperty("min").GetDouble();
            }
        }
        int width = stored switch
        {
            "float32" => 4,
            "float16" => 2,
            "uint16" => 2,
            "uint8" => 1,
            _ => throw new KerasFormatException($"weight '{name}' is quantized as {stored}; float16, uint8 and uint16 are supported"),
        };
        long needed = count * width;
        if (offset + needed > bytes.Length)
            throw new KerasFormatException($"weight '{name}' runs past the end of its shards ({bytes.Length} bytes)");
        values = new float[count];
        var src = bytes.AsSpan((int)offset, (int)needed);
        switch (stored)
        {
            case "float32":
                for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(src[(4 * i)..]);
                break;
            case "float16":
                for (int i = 0; i < values.Length; i++) values[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(src[(2 * i)..]);
                break;
            case "uint16":
                for (int i = 0; i < values.Length; i++) values[i] = (float)(BinaryPrimitives.ReadUInt16LittleEndian(src[(2 * i)..]) * scale + min);
                break;
            default:
                for (int i = 0; i < values.Length; i++) values[i] = (float)(src[i] * scale + min);
                break;
        }
        return needed;
    }
}
