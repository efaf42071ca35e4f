using System.Buffers.Binary;
using System.IO.Compression;
using System.Numerics;
using System.Text;
using Restora.Core;

namespace Restora.Models.PyTorch;

/// <summary>One storage a checkpoint's tensors view: its file key, element type and size (legacy views add an offset).</summary>
internal sealed record StorageRef(string Key, TorchDtype Dtype, long Numel, long ViewOffset = 0);

/// <summary>
/// Reads PyTorch checkpoints (<c>torch.save</c> output, .pth/.pt) without Python and without running anything in
/// them: both the zip layout (the default since PyTorch 1.6: ARCHIVE/data.pkl, ARCHIVE/data/KEY storages,
/// ARCHIVE/byteorder) and the legacy layout (magic-number, protocol and system-info pickles, the object pickle, the
/// storage-key list, then each storage as an 8-byte element count and its raw bytes). The object pickle goes through
/// <see cref="Unpickler"/>, which knows only the names a state dict uses. Tensors come out as contiguous float32
/// whatever their dtype (float16, bfloat16, float64, integer counters), copied out of strided or offset views.
/// </summary>
public static class PyTorchCheckpoint
{
    // The wrappers training code puts around a state dict, tried in this order at each level. BasicSR writes
    // {params, params_ema}; the EMA weights are the ones its authors evaluate and release, so they win.
    static readonly string[] Wrappers = ["params_ema", "params", "state_dict", "model_state_dict", "model", "net", "net_g", "generator"];

    /// <summary>
    /// The checkpoint's state dict: the tensors by their dotted PyTorch names, after taking params_ema over params,
    /// stepping into state_dict/model/net/generator wrappers and removing DataParallel's "module." prefix.
    /// </summary>
    /// <param name="log">Told which layout was read and which wrappers were taken.</param>
    /// <exception cref="InvalidDataException">"PATH: why" for anything that is not a safe, intact state-dict checkpoint.</exception>
    public static OrderedDictionary<string, Tensor> Read(string path, Action<string>? log = null)
    {
        // Messages start with the path as given, as SafeTensors.Load's do.
        try
        {
            using var file = Open(path);
            log?.Invoke($"{path}: {file.Describe}");
            var stateDict = Unwrap(file.Root, path, log);
            return Materialize(stateDict, file, path, log);
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith(path + ":", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    // ---- layouts -------------------------------------------------------------------------------------------------------

    /// <summary>An opened checkpoint: the unpickled object and a way to read the storages its tensors name.</summary>
    internal abstract class CheckpointFile : IDisposable
    {
        public object? Root { get; protected set; }
        public string Describe { get; protected set; } = "";
        public abstract ReadOnlyMemory<byte> ReadStorage(StorageRef storage);
        public virtual void Dispose() { }
    }

    internal static CheckpointFile Open(string path)
    {
        var fs = File.OpenRead(path);
        try
        {
            Span<byte> head = stackalloc byte[4];
            int n = fs.ReadAtLeast(head, 4, throwOnEndOfStream: false);
            fs.Position = 0;
            if (n == 4 && head.SequenceEqual("PK\x03\x04"u8)) return ZipCheckpoint.Open(fs);
            if (n >= 2 && head[0] == 0x80)
            {
                using (fs) return LegacyCheckpoint.Open(fs);
            }
            throw new InvalidDataException("not a PyTorch checkpoint (neither a zip archive nor a pickle)");
        }
        catch
        {
            fs.Dispose();
            throw;
        }
    }

    /// <summary>The persistent id torch writes for a storage: ('storage', torch.XStorage, key, location, numel[, view]).</summary>
    static StorageRef ParseStorageId(object? pid, Dictionary<string, StorageRef> seen, bool legacy)
    {
        if (pid is not PickleTuple t || t.Count < 5 || t[0] is not string kind)
            throw new InvalidDataException($"persistent id {Unpickler.Describe(pid)} is not a storage reference");
        if (kind != "storage")
            throw new InvalidDataException(kind == "module"
                ? "holds a pickled module (its source code), not a state dict"
                : $"persistent id of kind '{kind}' is not a storage");
        if (t.Count != (legacy ? 6 : 5)) throw new InvalidDataException($"storage reference with {t.Count} fields");
        if (t[1] is not PickleGlobal { Kind: PickleGlobalKind.StorageType } type)
            throw new InvalidDataException($"storage type is {Unpickler.Describe(t[1])}");
        if (t[2] is not string key || key.Length is 0 or > 64 || !key.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
            throw new InvalidDataException($"storage key {Unpickler.Describe(t[2])} is not a plain name");
        if (t[4] is not long numel || numel < 0) throw new InvalidDataException($"storage '{key}' has {Unpickler.Describe(t[4])} elements");
        var root = new StorageRef(key, type.Dtype, numel);
        if (seen.TryGetValue(key, out var earlier))
        {
            if (earlier != root) throw new InvalidDataException($"storage '{key}' is named twice with different types or sizes");
            root = earlier;
        }
        else seen[key] = root;
        if (!legacy || t[5] is null) return root;
        // Legacy files could save a view of a larger storage: (view_key, offset, size) in elements.
        if (t[5] is not PickleTuple { Count: 3 } view || view[1] is not long offset || view[2] is not long viewSize
            || offset < 0 || viewSize < 0 || offset > numel - viewSize)
            throw new InvalidDataException($"storage '{key}' has a malformed view");
        return root with { ViewOffset = offset, Numel = viewSize };
    }

    sealed class ZipCheckpoint : CheckpointFile
    {
        readonly ZipArchive archive;
        readonly string prefix;
        long budget;

        ZipCheckpoint(ZipArchive archive, string prefix, long budget)
        {
            this.archive = archive;
            this.prefix = prefix;
            this.budget = budget;
        }

        public static ZipCheckpoint Open(FileStream fs)
        {
            ZipArchive archive;
            try { archive = new ZipArchive(fs, ZipArchiveMode.Read, leaveOpen: false); }
            catch (Exception e) when (e is InvalidDataException or IOException or ArgumentException)
            {
                throw new InvalidDataException($"not a readable zip archive ({e.Message})", e);
            }
            try
            {
                // torch names every entry ARCHIVE/...; ARCHIVE is the file's stem when saved, or anything after a rename.
                var pickles = archive.Entries.Where(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal)
                    && e.FullName.IndexOf('/') == e.FullName.Length - "/data.pkl".Length).ToList();
                if (pickles.Count != 1)
                    throw new InvalidDataException(pickles.Count == 0
                        ? "zip archive without a FOLDER/data.pkl entry (not a torch.save checkpoint)"
                        : $"zip archive with {pickles.Count} data.pkl entries");
                string prefix = pickles[0].FullName[..^"data.pkl".Length];
                // Storages are stored uncompressed by torch; even deflated ones cannot honestly expand past ~1000x,
                // and a state dict's floats barely compress, so 16x the file is plenty and stops a zip bomb early.
                var checkpoint = new ZipCheckpoint(archive, prefix, 16 * fs.Length + (1 << 20));
                if (archive.GetEntry(prefix + "byteorder") is { } order)
                {
                    string text = Encoding.ASCII.GetString(checkpoint.ReadEntry(order, 16, exact: false)).Trim();
                    if (text != "little") throw new InvalidDataException($"byte order '{text}' is not supported (only little-endian is)");
                }
                var pickleEntry = pickles[0];
                if (pickleEntry.Length > Unpickler.MaxPickleBytes)
                    throw new InvalidDataException($"data.pkl of {pickleEntry.Length} bytes is larger than {Unpickler.MaxPickleBytes}");
                var pickle = checkpoint.ReadEntry(pickleEntry, pickleEntry.Length, exact: true);
                var seen = new Dictionary<string, StorageRef>(StringComparer.Ordinal);
                checkpoint.Root = new Unpickler(pickle, 0, pickle.Length, pid => ParseStorageId(pid, seen, legacy: false), Unpickler.DefaultRefusal).Load();
                checkpoint.Describe = $"zip layout (archive folder '{prefix.TrimEnd('/')}', {seen.Count} storages)";
                return checkpoint;
            }
            catch
            {
                archive.Dispose();
                throw;
            }
        }

        /// <summary>Reads at most <paramref name="max"/> bytes of an entry, charging them to the file's budget.</summary>
        byte[] ReadEntry(ZipArchiveEntry entry, long max, bool exact)
        {
            long length = entry.Length;
            if (length > max || (exact && length != max))
                throw new InvalidDataException($"entry '{entry.FullName}' holds {length} bytes, expected {(exact ? "" : "at most ")}{max}");
            if (length > Array.MaxLength) throw new InvalidDataException($"entry '{entry.FullName}' of {length} bytes is too large");
            budget -= length;
            if (budget < 0) throw new InvalidDataException("the archive expands to more than 16 times its size (a zip bomb or a corrupt file)");
            var buffer = new byte[length];
            try
            {
                using var s = entry.Open();
                s.ReadExactly(buffer);
            }
            catch (EndOfStreamException) { throw new InvalidDataException($"entry '{entry.FullName}' is truncated"); }
            // A damaged header can name a compression method .NET lacks, or break the stream in other ways.
            catch (Exception e) when (e is InvalidDataException or IOException or NotSupportedException)
            {
                throw new InvalidDataException($"entry '{entry.FullName}' is corrupt ({e.Message})", e);
            }
            return buffer;
        }

        public override ReadOnlyMemory<byte> ReadStorage(StorageRef storage)
        {
            string entryName = prefix + "data/" + storage.Key;
            var entry = archive.GetEntry(entryName) ?? throw new InvalidDataException($"storage '{storage.Key}' is missing ({entryName})");
            long bytes = checked(storage.Numel * Size(storage.Dtype));
            return ReadEntry(entry, bytes, exact: true);
        }

        public override void Dispose() => archive.Dispose();
    }

    sealed class LegacyCheckpoint : CheckpointFile
    {
        // torch's legacy format opens with this number pickled as a Python int.
        static readonly BigInteger Magic = BigInteger.Parse("119547037146038801333356");
        readonly byte[] data;
        readonly Dictionary<string, (long Offset, long Numel)> storages;

        LegacyCheckpoint(object? root, byte[] data, Dictionary<string, (long, long)> storages)
        {
            Root = root;
            Describe = $"legacy layout ({storages.Count} storages)";
            this.data = data;
            this.storages = storages;
        }

        public static LegacyCheckpoint Open(FileStream fs)
        {
            if (fs.Length > Array.MaxLength) throw new InvalidDataException($"a legacy checkpoint of {fs.Length} bytes is too large to read");
            var data = new byte[fs.Length];
            fs.ReadExactly(data);
            int pos = 0;
            object? Next(Func<object?, object?>? persistentLoad = null)
            {
                int end = (int)Math.Min(data.Length, (long)pos + Unpickler.MaxPickleBytes);
                var u = new Unpickler(data, pos, end, persistentLoad ?? (_ => throw new InvalidDataException("a persistent id outside the object pickle")),
                    Unpickler.DefaultRefusal);
                var value = u.Load();
                pos = u.Position;
                return value;
            }
            var magic = Next();
            if (!(magic is BigInteger m && m == Magic)) throw new InvalidDataException("a pickle, but not a torch.save checkpoint (no magic number)");
            if (Next() is not long protocol || protocol != 1001) throw new InvalidDataException("unknown legacy protocol version (1001 is known)");
            if (Next() is not PickleDict sys) throw new InvalidDataException("legacy system information is not a dict");
            if (sys.Get("little_endian") is false) throw new InvalidDataException("big-endian checkpoints are not supported");
            var seen = new Dictionary<string, StorageRef>(StringComparer.Ordinal);
            var root = Next(pid => ParseStorageId(pid, seen, legacy: true));
            if (Next() is not List<object?> keys) throw new InvalidDataException("the storage key list is missing");

            // Each storage follows in the key list's order: an int64 element count, then its bytes.
            var storages = new Dictionary<string, (long, long)>(StringComparer.Ordinal);
            foreach (var k in keys)
            {
                if (k is not string key || !seen.TryGetValue(key, out var s))
                    throw new InvalidDataException($"storage key {Unpickler.Describe(k)} is not used by any tensor");
                if (data.Length - pos < 8) throw new InvalidDataException($"storage '{key}' is truncated");
                long numel = BinaryPrimitives.ReadInt64LittleEndian(data.AsSpan(pos, 8));
                pos += 8;
                if (numel < 0 || numel > data.Length || numel * Size(s.Dtype) > data.Length - pos)
                    throw new InvalidDataException($"storage '{key}' of {numel} elements runs past the end of the file (truncated)");
                if (numel != s.Numel) throw new InvalidDataException($"storage '{key}' holds {numel} elements, its tensors say {s.Numel}");
                long bytes = numel * Size(s.Dtype);
                storages[key] = (pos, numel);
                pos += (int)bytes;
            }
            return new LegacyCheckpoint(root, data, storages);
        }

        public override ReadOnlyMemory<byte> ReadStorage(StorageRef storage)
        {
            if (!storages.TryGetValue(storage.Key, out var s)) throw new InvalidDataException($"storage '{storage.Key}' is not in the file");
            int size = Size(storage.Dtype);
            return data.AsMemory((int)(s.Offset + storage.ViewOffset * size), (int)(storage.Numel * size));
        }
    }

    // ---- unwrapping and tensors ----------------------------------------------------------------------------------------

    static bool HoldsTensors(PickleDict d) => d.Items.Any(kv => kv.Value is TensorRef);

    internal static PickleDict Unwrap(object? root, string name, Action<string>? log)
    {
        if (root is not PickleDict d) throw new InvalidDataException($"holds {Unpickler.Describe(root)}, not a dict of tensors");
        // A few levels cover {params_ema: …}, {state_dict: {module.…}}, {model: {state_dict: …}}; more is a puzzle.
        for (int depth = 0; depth < 4 && !HoldsTensors(d); depth++)
        {
            string? taken = Wrappers.FirstOrDefault(w => d.Get(w) is PickleDict inner && inner.Count > 0);
            if (taken is null) break;
            var others = d.Items.Select(kv => kv.Key).OfType<string>().Where(k => k != taken).ToList();
            log?.Invoke($"{name}: took '{taken}'" + (others.Count > 0 ? $" (also holds: {string.Join(", ", others.Take(8))}{(others.Count > 8 ? ", …" : "")})" : ""));
            d = (PickleDict)d.Get(taken)!;
        }
        if (!HoldsTensors(d))
        {
            var keys = d.Items.Select(kv => kv.Key as string ?? Unpickler.Describe(kv.Key)).Take(8);
            throw new InvalidDataException($"holds no tensors where a state dict should be (keys: {string.Join(", ", keys)})");
        }
        return d;
    }

    static OrderedDictionary<string, Tensor> Materialize(PickleDict stateDict, CheckpointFile file, string name, Action<string>? log)
    {
        var result = new OrderedDictionary<string, Tensor>();
        var converted = new Dictionary<StorageRef, float[]>();
        long storageElements = 0, outputElements = 0;
        int skipped = 0, stripped = 0;
        var dtypes = new SortedSet<string>(StringComparer.Ordinal);
        try
        {
            foreach (var (k, v) in stateDict.Items)
            {
                if (k is not string key || v is not TensorRef t)
                {
                    skipped++;
                    continue;
                }
                if (t.Storage is not StorageRef storage) throw new InvalidDataException($"'{key}': tensor without a storage");
                if (!converted.TryGetValue(storage, out var values))
                {
                    if (storage.Numel > Array.MaxLength) throw new InvalidDataException($"'{key}': storage of {storage.Numel} elements is too large");
                    values = Convert(file.ReadStorage(storage).Span, storage.Dtype, storage.Numel);
                    converted[storage] = values;
                    storageElements += storage.Numel;
                }
                dtypes.Add(storage.Dtype.ToString().ToLowerInvariant());
                var tensor = View(values, t, key);
                // Views of one storage could otherwise multiply a small file into any amount of memory; a state
                // dict's tensors share storage at most for tied weights.
                outputElements += tensor.Length;
                if (outputElements > 2 * storageElements + (1 << 20))
                    throw new InvalidDataException("its tensors view the same storages many times over (not a state dict)");
                if (key.StartsWith("module.", StringComparison.Ordinal))
                {
                    key = key["module.".Length..];
                    stripped++;
                }
                if (!result.TryAdd(key, tensor)) throw new InvalidDataException($"tensor '{key}' appears twice");
            }
        }
        catch
        {
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
        if (stripped > 0) log?.Invoke($"{name}: removed the 'module.' prefix (DataParallel) from {stripped} keys");
        if (skipped > 0) log?.Invoke($"{name}: skipped {skipped} entries that are not tensors");
        log?.Invoke($"{name}: {result.Count} tensors ({string.Join(", ", dtypes)})");
        return result;
    }

    /// <summary>A contiguous copy of the strided view (offset, size, stride in elements) of a storage's values.</summary>
    internal static Tensor View(float[] storage, TensorRef t, string key)
    {
        int rank = t.Size.Length;
        if (rank > 16) throw new InvalidDataException($"'{key}': {rank} dimensions");
        long numel = 1, last = t.Offset;
        for (int i = 0; i < rank; i++)
        {
            if (t.Size[i] < 0 || t.Stride[i] < 0) throw new InvalidDataException($"'{key}': negative size or stride");
            if (t.Size[i] > int.MaxValue) throw new InvalidDataException($"'{key}': size {t.Size[i]}");
            numel = t.Size[i] == 0 || numel == 0 ? 0 : numel <= long.MaxValue / t.Size[i] ? numel * t.Size[i] : long.MaxValue;
        }
        if (numel > storage.Length) throw new InvalidDataException($"'{key}' has more elements ({numel}) than its storage ({storage.Length})");
        if (t.Offset < 0) throw new InvalidDataException($"'{key}': negative storage offset");
        if (numel > 0)
        {
            // The farthest element the view reaches must lie inside the storage; sizes are bounded by the storage
            // here, so stride products can only overflow for a hostile stride, which the check below catches.
            for (int i = 0; i < rank; i++)
            {
                if (t.Stride[i] > storage.Length && t.Size[i] > 1) throw new InvalidDataException($"'{key}': stride {t.Stride[i]} leaves the storage");
                last += (t.Size[i] - 1) * t.Stride[i];
                if (last >= storage.Length) break;
            }
            if (last >= storage.Length) throw new InvalidDataException($"'{key}': view reaches element {last} of a storage of {storage.Length}");
        }
        var shape = t.Size.Select(s => (int)s).ToArray();
        var tensor = Tensor.Persistent(shape);
        if (numel == 0) return tensor;
        var dst = tensor.Span;
        // Contiguous (row-major) views are one copy; others walk an index counter, last dimension fastest.
        bool contiguous = true;
        long expected = 1;
        for (int i = rank - 1; i >= 0; i--)
        {
            if (t.Size[i] != 1 && t.Stride[i] != expected) contiguous = false;
            expected *= t.Size[i];
        }
        if (contiguous)
        {
            storage.AsSpan((int)t.Offset, (int)numel).CopyTo(dst);
            return tensor;
        }
        var index = new long[rank];
        long src = t.Offset;
        for (int n = 0; n < dst.Length; n++)
        {
            dst[n] = storage[src];
            for (int d = rank - 1; d >= 0; d--)
            {
                index[d]++;
                src += t.Stride[d];
                if (index[d] < t.Size[d]) break;
                src -= t.Size[d] * t.Stride[d];
                index[d] = 0;
            }
        }
        return tensor;
    }

    internal static int Size(TorchDtype dtype) => dtype switch
    {
        TorchDtype.Float64 or TorchDtype.Int64 => 8,
        TorchDtype.Float32 or TorchDtype.Int32 => 4,
        TorchDtype.Float16 or TorchDtype.BFloat16 or TorchDtype.Int16 => 2,
        _ => 1,
    };

    /// <summary>Little-endian elements of any supported dtype as float32.</summary>
    internal static float[] Convert(ReadOnlySpan<byte> src, TorchDtype dtype, long numel)
    {
        if (src.Length != numel * Size(dtype)) throw new InvalidDataException($"storage holds {src.Length} bytes, {numel} {dtype} elements need {numel * Size(dtype)}");
        var dst = new float[numel];
        switch (dtype)
        {
            case TorchDtype.Float32:
                if (BitConverter.IsLittleEndian) System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(src).CopyTo(dst);
                else for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadSingleLittleEndian(src[(4 * i)..]);
                break;
            case TorchDtype.Float16:
                for (int i = 0; i < dst.Length; i++) dst[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(src[(2 * i)..]);
                break;
            case TorchDtype.BFloat16:
                // bfloat16 is the top half of a float32.
                for (int i = 0; i < dst.Length; i++) dst[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(src[(2 * i)..]) << 16);
                break;
            case TorchDtype.Float64:
                for (int i = 0; i < dst.Length; i++) dst[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(src[(8 * i)..]);
                break;
            case TorchDtype.Int64:
                for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadInt64LittleEndian(src[(8 * i)..]);
                break;
            case TorchDtype.Int32:
                for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadInt32LittleEndian(src[(4 * i)..]);
                break;
            case TorchDtype.Int16:
                for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadInt16LittleEndian(src[(2 * i)..]);
                break;
            case TorchDtype.Int8:
                for (int i = 0; i < dst.Length; i++) dst[i] = (sbyte)src[i];
                break;
            default: // UInt8, Bool
                for (int i = 0; i < dst.Length; i++) dst[i] = src[i];
                break;
        }
        return dst;
    }
}
