using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Restora.Core.Nn;
using Restora.Core.Serialization;

namespace Restora.Core.Tests;

public class SafeTensorsTests
{
    static byte[] Write(IEnumerable<KeyValuePair<string, Tensor>> tensors, Dictionary<string, string>? meta = null, HashSet<string>? ints = null)
    {
        using var ms = new MemoryStream();
        SafeTensors.Save(ms, tensors, meta, ints);
        return ms.ToArray();
    }

    [Fact]
    public void RoundTripsValuesShapesAndMetadata()
    {
        var a = GradCheck.Rand(1, 2, 3, 4);
        var b = Tensor.FromArray([1e-30f, -0f, float.MaxValue, float.NaN, 3.5f], 5);
        var s = Tensor.Full(7f, []);
        var bytes = Write([new("zeta", a), new("alpha.beta", b), new("scalar", s)], new() { ["format"] = "pt", ["note"] = "ünïcode" });
        var ck = SafeTensors.Load(new MemoryStream(bytes));
        Assert.Equal(new Dictionary<string, string> { ["format"] = "pt", ["note"] = "ünïcode" }, ck.Metadata);
        Assert.Equal(a.ToArray(), ck.Tensors["zeta"].ToArray());
        Assert.Equal([2, 3, 4], ck.Tensors["zeta"].Shape);
        Assert.Equal(b.ToArray(), ck.Tensors["alpha.beta"].ToArray());
        Assert.Empty(ck.Tensors["scalar"].Shape);
        Assert.Equal(7f, ck.Tensors["scalar"].Item());
    }

    [Fact]
    public void LayoutFollowsTheSpec()
    {
        var bytes = Write([new("b", Tensor.FromArray([1f, 2f], 2)), new("a", Tensor.FromArray([3f], 1))], new() { ["k"] = "v" });
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0UL, n % 8);
        Assert.Equal((ulong)bytes.Length, 8 + n + 12);
        using var doc = JsonDocument.Parse(bytes.AsMemory(8, (int)n));
        // Data in sorted-name order: "a" first.
        Assert.Equal("[0,4]", doc.RootElement.GetProperty("a").GetProperty("data_offsets").GetRawText());
        Assert.Equal("[4,12]", doc.RootElement.GetProperty("b").GetProperty("data_offsets").GetRawText());
        Assert.Equal("F32", doc.RootElement.GetProperty("b").GetProperty("dtype").GetString());
        Assert.Equal("v", doc.RootElement.GetProperty("__metadata__").GetProperty("k").GetString());
        Assert.Equal(3f, BitConverter.ToSingle(bytes, 8 + (int)n));
    }

    static byte[] Handmade(string header, byte[] data)
    {
        var h = Encoding.UTF8.GetBytes(header);
        var r = new byte[8 + h.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(r, (ulong)h.Length);
        h.CopyTo(r, 8);
        data.CopyTo(r, 8 + h.Length);
        return r;
    }

    [Fact]
    public void ReadsHalfAndBFloat16AndInt64()
    {
        var data = new byte[4 + 4 + 8];
        BinaryPrimitives.WriteHalfLittleEndian(data.AsSpan(0), (Half)1.5f);
        BinaryPrimitives.WriteHalfLittleEndian(data.AsSpan(2), (Half)(-0.099975586f));
        BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(4), 0x3FC0); // 1.5 in bfloat16
        BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(6), 0xC2F7); // -123.5
        BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(8), 42);
        var file = Handmade("""{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[4,8]},"i":{"dtype":"I64","shape":[],"data_offsets":[8,16]}}""", data);
        var t = SafeTensors.Load(new MemoryStream(file)).Tensors;
        Assert.Equal([1.5f, -0.099975586f], t["h"].ToArray());
        Assert.Equal([1.5f, -123.5f], t["b"].ToArray());
        Assert.Equal(42f, t["i"].Item());
    }

    [Theory]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}""", 4, "needs 8 bytes")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8, "hole or overlap")]
    [InlineData("""{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}""", 1, "not supported")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}""", 4, "not valid JSON")]
    [InlineData("""{"a":{"shape":[1],"data_offsets":[0,4]}}""", 4, "has no dtype string")]
    [InlineData("""{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}""", 4, "shape holds -1")]
    [InlineData("""{"a":{"dtype":"F32","shape":["1"],"data_offsets":[0,4]}}""", 4, "not a size")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,-4]}}""", 4, "data_offsets holds -4")]
    [InlineData("""{"a":[1]}""", 4, "not an object")]
    [InlineData("""{"a":{"dtype":"F\uDDDD","shape":[1],"data_offsets":[0,4]}}""", 4, "not valid JSON")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8, "names 'a' twice")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2147483647,2147483647,2147483647],"data_offsets":[0,4]}}""", 4, "is too large")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 2, "truncated safetensors")]
    public void RejectsMalformedHeaders(string header, int dataBytes, string message)
    {
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(new MemoryStream(Handmade(header, new byte[dataBytes]))));
        Assert.Contains(message, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    // A 90 MB header (under the 100 MB cap) and 4 GB of tensor data, each claimed by a file of a few hundred bytes.
    [InlineData(90_000_000L, null)]
    [InlineData(null, """{"a":{"dtype":"F32","shape":[1000000000],"data_offsets":[0,4000000000]}}""")]
    public void Sizes_a_file_cannot_hold_are_refused_before_allocating(long? headerLength, string? header)
    {
        byte[] file = header is null ? new byte[200] : Handmade(header, new byte[100]);
        if (headerLength is long claimed) BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)claimed);
        string path = Path.Combine(Path.GetTempPath(), $"restora-lying-{Guid.NewGuid():N}.safetensors");
        File.WriteAllBytes(path, file);
        try
        {
            Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path)); // warm up: one-time allocations don't count
            long before = GC.GetAllocatedBytesForCurrentThread();
            var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path));
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

            Assert.StartsWith($"{path}: truncated safetensors: ", e.Message);
            Assert.True(allocated < 1 << 20, $"allocated {allocated} bytes before refusing");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void LoadsPyTorchStateDictWithItsKeys()
    {
        var net = TrainingCurveTests.TinyNet();
        var meta = SafeTensors.LoadModule(ReferenceData.PathOf("tiny_init.safetensors"), net);
        Assert.Equal("conv3-16 relu conv16-12 pixelshuffle2", meta["net"]);
        Assert.Equal(["0.weight", "0.bias", "2.weight", "2.bias"], net.StateDict().Keys);
        // PyTorch's default conv init is U(±1/√fan_in); fan_in of the first conv is 27.
        var w = ((Conv2d)net[0]).Weight.ToArray();
        Assert.All(w, v => Assert.InRange(v, -1 / MathF.Sqrt(27), 1 / MathF.Sqrt(27)));
        Assert.Contains(w, v => v != 0);
    }

    [Fact]
    public void ModuleRoundTripIncludingInt64Counter()
    {
        var net = InteropTests.InteropNet(new Random(3));
        net.Forward(GradCheck.Rand(5, 2, 3, 6, 6)); // updates the batch norm buffers
        var path = Path.GetTempFileName();
        try
        {
            SafeTensors.SaveModule(path, net, new Dictionary<string, string> { ["by"] = "restora" });
            var copy = InteropTests.InteropNet(new Random(99));
            SafeTensors.LoadModule(path, copy);
            foreach (var (k, v) in net.StateDict()) Assert.Equal(v.ToArray(), copy.StateDict()[k].ToArray());
            Assert.Equal(1f, copy.StateDict()["1.num_batches_tracked"].Item());
        }
        finally { File.Delete(path); }
    }
}

/// <summary>Only runs where PyTorch can be imported by /usr/bin/python3; otherwise reported as skipped.</summary>
public sealed class TorchFactAttribute : FactAttribute
{
    static readonly Lazy<bool> available = new(() =>
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(InteropTests.Python, "-c \"import torch\"") { RedirectStandardError = true, RedirectStandardOutput = true });
            p!.WaitForExit(60_000);
            return p.HasExited && p.ExitCode == 0;
        }
        catch (Exception) { return false; }
    });

    public TorchFactAttribute()
    {
        if (!available.Value) Skip = $"PyTorch is not importable by {InteropTests.Python}";
    }
}

/// <summary>Restora → PyTorch: a Restora-written checkpoint loads into the same architecture in PyTorch (strict keys).</summary>
public class InteropTests
{
    public const string Python = "/usr/bin/python3";

    public static Sequential InteropNet(Random rng) =>
        new(new Conv2d(3, 8, 3, padding: 1, rng: rng), new BatchNorm2d(8), new PReLU(8),
            new ConvTranspose2d(8, 4, 4, stride: 2, padding: 1, rng: rng), new LeakyReLU(0.2f), new PixelUnshuffle(2));

    [TorchFact]
    public void PyTorchLoadsRestoraCheckpointAndComputesTheSameOutput()
    {
        var net = InteropNet(new Random(5));
        using (Autograd.NoGrad()) net.Forward(GradCheck.Rand(6, 4, 3, 8, 8)); // non-trivial running statistics
        var prelu = ((PReLU)net[2]).Weight;
        for (int i = 0; i < prelu.Length; i++) prelu.Span[i] = 0.05f * i;
        net.Eval();
        var x = GradCheck.Rand(7, 2, 3, 6, 5);
        Tensor y;
        using (Autograd.NoGrad()) y = net.Forward(x);

        var dir = Directory.CreateTempSubdirectory("restora-interop").FullName;
        try
        {
            var weights = Path.Combine(dir, "weights.safetensors");
            var io = Path.Combine(dir, "io.safetensors");
            SafeTensors.SaveModule(weights, net, new Dictionary<string, string> { ["format"] = "pt" });
            SafeTensors.Save(io, [new("input", x), new("output", y)]);
            var psi = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
            psi.ArgumentList.Add(ReferenceData.PathOf("load_check.py"));
            psi.ArgumentList.Add(weights);
            psi.ArgumentList.Add(io);
            psi.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
            using var p = Process.Start(psi)!;
            string stdout = p.StandardOutput.ReadToEnd(), stderr = p.StandardError.ReadToEnd();
            p.WaitForExit();
            Assert.True(p.ExitCode == 0, $"load_check.py failed ({p.ExitCode}): {stdout}\n{stderr}");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
