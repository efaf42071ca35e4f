using System.Diagnostics;
using System.IO.Compression;
using System.Text.Json;
using Restora.Core;
using Restora.Core.Nn;
using Restora.Models.Architectures;
using Restora.Models.PyTorch;

namespace Restora.Models.Tests;

/// <summary>
/// Checkpoint files written by PyTorch itself (Reference/PyTorch/make_pth_reference.py, both torch.save layouts) and
/// broken or hostile files built here; recognition of every supported architecture from its keys and shapes.
/// </summary>
public class PyTorchCheckpointTests
{
    static readonly string[] ExpectedKeys =
        ["f32", "f16", "bf16", "f64", "i64", "i32", "transposed", "offset", "shared_a", "shared_b", "num_batches_tracked", "param"];

    [Theory]
    [InlineData("tensors_zip.pth.bin", "zip layout (archive folder 'tensors_zip.pth'")]
    [InlineData("tensors_legacy.pth.bin", "legacy layout")]
    public void Every_dtype_and_view_reads_as_pytorch_wrote_it(string file, string layout)
    {
        var log = new List<string>();
        var tensors = PyTorchCheckpoint.Read(CheckpointFiles.Reference(file), log.Add);
        using var doc = JsonDocument.Parse(File.ReadAllText(CheckpointFiles.Reference("tensors.json")));
        Assert.Equal(ExpectedKeys, tensors.Keys);
        foreach (var entry in doc.RootElement.EnumerateObject())
        {
            var t = tensors[entry.Name];
            Assert.Equal(entry.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()), t.Shape);
            var expected = entry.Value.GetProperty("values").EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();
            Assert.Equal(expected, t.ToArray());
        }
        Assert.Contains(log, l => l.Contains(layout, StringComparison.Ordinal));
        Assert.Contains(log, l => l.Contains("skipped 1 entries that are not tensors", StringComparison.Ordinal));
    }

    static float[] Floats(JsonElement e) => e.EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();

    static void AssertForward(PyTorchModel model, string output)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(CheckpointFiles.Reference("tiny_forward.json")));
        var root = doc.RootElement;
        using var scope = new TensorScope();
        using var _ = Autograd.NoGrad();
        var x = Tensor.FromArray(Floats(root.GetProperty("input")), root.GetProperty("input_shape").EnumerateArray().Select(e => e.GetInt32()).ToArray());
        var y = model.Module.Forward(x);
        Assert.Equal(root.GetProperty(output + "_shape").EnumerateArray().Select(e => e.GetInt32()), y.Shape);
        var expected = Floats(root.GetProperty(output));
        float worst = 0;
        for (int i = 0; i < expected.Length; i++) worst = Math.Max(worst, Math.Abs(expected[i] - y.ReadOnlySpan[i]));
        Assert.True(worst < 1e-5f, $"largest difference {worst}");
    }

    [Fact]
    public void Tiny_srvgg_zip_takes_params_ema_and_matches_pytorch()
    {
        var log = new List<string>();
        var model = PyTorchModels.Load(CheckpointFiles.Reference("tiny_srvgg_zip.pth.bin"), log.Add);
        Assert.Equal("srvgg", model.Architecture.Name);
        Assert.Equal(("8", "2", "2", "3"), (model.Options["features"], model.Options["convs"], model.Options["scale"], model.Options["channels"]));
        Assert.Equal((2, 3, "sr"), (model.Scale, model.Channels, model.Task));
        Assert.Contains(log, l => l.Contains("took 'params_ema' (also holds: params)", StringComparison.Ordinal));
        AssertForward(model, "srvgg");
    }

    [Fact]
    public void Tiny_float16_esrgan_in_the_legacy_layout_unwraps_state_dict_and_module_and_matches_pytorch()
    {
        var log = new List<string>();
        var model = PyTorchModels.Load(CheckpointFiles.Reference("tiny_esrgan_legacy.pth.bin"), log.Add);
        Assert.Equal("rrdbnet", model.Architecture.Name);
        Assert.Equal(("8", "1", "4", "2"), (model.Options["features"], model.Options["blocks"], model.Options["growth"], model.Options["scale"]));
        Assert.Contains(log, l => l.Contains("legacy layout", StringComparison.Ordinal));
        Assert.Contains(log, l => l.Contains("took 'state_dict' (also holds: epoch)", StringComparison.Ordinal));
        Assert.Contains(log, l => l.Contains("removed the 'module.' prefix", StringComparison.Ordinal));
        Assert.Contains(log, l => l.Contains("(float16)", StringComparison.Ordinal));
        AssertForward(model, "esrgan");
    }

    [Fact]
    public void Imported_safetensors_model_computes_what_the_checkpoint_does()
    {
        string pth = CheckpointFiles.Reference("tiny_srvgg_zip.pth.bin");
        string output = Path.Combine(Path.GetTempPath(), $"restora-import-{Guid.NewGuid():N}", "tiny.safetensors");
        try
        {
            var metadata = PyTorchModels.ImportToSafeTensors(pth, output);
            var (module, read) = TrainedModel.Load(output);
            Assert.Equal(("srvgg", "sr", 2, "imported from tiny_srvgg_zip.pth.bin"), (read.Arch, read.Task, read.Scale, read.Command));
            Assert.Equal(metadata.ArchOptions, read.ArchOptions);
            Assert.Equal(64, read.Extra["source_sha256"].Length);
            var direct = PyTorchModels.Load(pth).Module;
            using var scope = new TensorScope();
            using var _ = Autograd.NoGrad();
            var x = Tensor.Uniform(new Random(4), 0, 1, 1, 3, 7, 5);
            Assert.Equal(direct.Forward(x).ToArray(), module.Forward(x).ToArray());
        }
        finally { Directory.Delete(Path.GetDirectoryName(output)!, true); }
    }

    [Fact]
    public void An_unrecognised_state_dict_is_one_line_naming_the_known_architectures()
    {
        string path = CheckpointFiles.Reference("tensors_zip.pth.bin");
        var e = Assert.Throws<InvalidDataException>(() => PyTorchModels.Load(path));
        Assert.StartsWith(path + ": not an architecture Restora knows (known: ESRGAN/RRDBNet", e.Message);
        Assert.Contains("SRVGGNetCompact", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    // ---- broken files ------------------------------------------------------------------------------------------------

    static void AssertInvalidQuickly(byte[] bytes, string? contains = null)
    {
        string path = CheckpointFiles.Temp(bytes);
        try
        {
            var sw = Stopwatch.StartNew();
            var e = Assert.Throws<InvalidDataException>(() => PyTorchCheckpoint.Read(path));
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(10), $"took {sw.Elapsed}");
            Assert.StartsWith(path + ": ", e.Message);
            if (contains is not null) Assert.Contains(contains, e.Message);
        }
        finally { File.Delete(path); }
    }

    [Theory]
    [InlineData("tiny_srvgg_zip.pth.bin")]
    [InlineData("tiny_esrgan_legacy.pth.bin")]
    [InlineData("tensors_zip.pth.bin")]
    [InlineData("tensors_legacy.pth.bin")]
    public void Every_truncation_is_InvalidDataException(string file)
    {
        var bytes = File.ReadAllBytes(CheckpointFiles.Reference(file));
        var cuts = Enumerable.Range(0, 60).Select(i => (int)((long)bytes.Length * i / 60)).Concat([1, 2, 3, 4, 5, 8, 16, bytes.Length - 1]).Distinct();
        foreach (int n in cuts) AssertInvalidQuickly(bytes[..n]);
    }

    [Theory]
    [InlineData("tiny_srvgg_zip.pth.bin")]
    [InlineData("tiny_esrgan_legacy.pth.bin")]
    [InlineData("tensors_legacy.pth.bin")]
    public void Corrupted_bytes_load_or_give_InvalidDataException_never_another_failure(string file)
    {
        var original = File.ReadAllBytes(CheckpointFiles.Reference(file));
        var rng = new Random(file.Length);
        string path = Path.Combine(Path.GetTempPath(), $"restora-fuzz-{Guid.NewGuid():N}.pth");
        try
        {
            for (int trial = 0; trial < 150; trial++)
            {
                var bytes = (byte[])original.Clone();
                // Mostly the pickle and headers (the first few kilobytes), where a flipped byte changes structure.
                for (int k = 0, flips = 1 + rng.Next(4); k < flips; k++)
                    bytes[rng.Next(Math.Min(bytes.Length, 4096))] = (byte)rng.Next(256);
                File.WriteAllBytes(path, bytes);
                try { PyTorchModels.Load(path); }
                catch (InvalidDataException) { }
            }
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Garbage_and_impossible_sizes_are_refused()
    {
        AssertInvalidQuickly([], "not a PyTorch checkpoint");
        AssertInvalidQuickly(new byte[1000].Select((_, i) => (byte)(i * 7)).ToArray(), "not a PyTorch checkpoint");
        AssertInvalidQuickly([.. "PK\x03\x04"u8, .. new byte[100]], "zip");
        AssertInvalidQuickly([0x80, 0x02, 0x8a, 0x01, 0x05, (byte)'.'], "no magic number");
        AssertInvalidQuickly(CheckpointFiles.Zip(new PickleWriter().Proto().Op('}').Stop().ToArray()), "holds no tensors");

        PickleWriter OneTensor(int numel, int offset, int[] size, int[] stride, bool legacy = false) =>
            new PickleWriter().Proto().Op('}').Str("w").Tensor("FloatStorage", "0", numel, offset, size, stride, legacy).Op('s').Stop();
        var four = new Dictionary<string, byte[]> { ["0"] = CheckpointFiles.Floats(1, 2, 3, 4) };
        // A storage that claims 2^30 floats from a 16-byte entry.
        AssertInvalidQuickly(CheckpointFiles.Zip(OneTensor(1 << 30, 0, [4], [1]).ToArray(), four), "holds 16 bytes, expected 4294967296");
        // Views that reach past their storage, or have more elements than it.
        AssertInvalidQuickly(CheckpointFiles.Zip(OneTensor(4, 2, [3], [1]).ToArray(), four), "view reaches element 4");
        AssertInvalidQuickly(CheckpointFiles.Zip(OneTensor(4, 0, [2, 2], [1, 4]).ToArray(), four), "view reaches");
        AssertInvalidQuickly(CheckpointFiles.Zip(OneTensor(4, 0, [1000, 1000], [0, 0]).ToArray(), four), "more elements");
        AssertInvalidQuickly(CheckpointFiles.Zip(OneTensor(4, -1, [2], [1]).ToArray(), four), "negative");
        // A storage entry that is missing, a storage key that is a path.
        AssertInvalidQuickly(CheckpointFiles.Zip(OneTensor(4, 0, [4], [1]).ToArray()), "storage '0' is missing");
        var traversal = new PickleWriter().Proto().Op('}').Str("w").Tensor("FloatStorage", "../../etc/passwd", 4, 0, [4], [1]).Op('s').Stop();
        AssertInvalidQuickly(CheckpointFiles.Zip(traversal.ToArray(), four), "not a plain name");
        // Legacy: a storage whose element count runs past the end of the file.
        AssertInvalidQuickly(CheckpointFiles.Legacy(OneTensor(1 << 30, 0, [4], [1], legacy: true).ToArray(),
            [("0", 1 << 30, CheckpointFiles.Floats(1, 2, 3, 4))]), "runs past the end");
        // Big-endian files.
        var bigEndian = CheckpointFiles.Zip(OneTensor(4, 0, [4], [1]).ToArray(), four);
        using (var ms = new MemoryStream())
        {
            ms.Write(bigEndian);
            using (var zip = new ZipArchive(ms, ZipArchiveMode.Update, leaveOpen: true))
            {
                zip.GetEntry("archive/byteorder")!.Delete();
                using var w = zip.CreateEntry("archive/byteorder").Open();
                w.Write("big"u8);
            }
            AssertInvalidQuickly(ms.ToArray(), "byte order 'big'");
        }
    }

    [Fact]
    public void A_zip_bomb_stops_at_sixteen_times_the_file_size()
    {
        // 64 MB of zeros deflate to about 64 KB; the pickle asks for all of them.
        int numel = 16 << 20;
        var pickle = new PickleWriter().Proto().Op('}').Str("w").Tensor("FloatStorage", "0", numel, 0, [numel], [1]).Op('s').Stop().ToArray();
        var bomb = CheckpointFiles.Zip(pickle, new Dictionary<string, byte[]> { ["0"] = new byte[numel * 4] }, level: CompressionLevel.SmallestSize);
        Assert.True(bomb.Length < 1 << 20);
        AssertInvalidQuickly(bomb, "expands to more than 16 times");
    }

    [Fact]
    public void Any_archive_folder_name_and_a_shared_storage()
    {
        var pickle = new PickleWriter().Proto().Op('}').Op('(')
            .Str("module.a").Tensor("FloatStorage", "0", 4, 0, [2], [2])
            .Str("module.b").Tensor("FloatStorage", "0", 4, 1, [3], [1])
            .Op('u').Stop().ToArray();
        string path = CheckpointFiles.Temp(CheckpointFiles.Zip(pickle, new Dictionary<string, byte[]> { ["0"] = CheckpointFiles.Floats(1, 2, 3, 4) }, folder: "renamed model.v2"));
        try
        {
            var t = PyTorchCheckpoint.Read(path);
            Assert.Equal(new[] { 1f, 3f }, t["a"].ToArray());
            Assert.Equal(new[] { 2f, 3f, 4f }, t["b"].ToArray());
        }
        finally { File.Delete(path); }
    }

    // ---- recognition -------------------------------------------------------------------------------------------------

    static OrderedDictionary<string, Tensor> StateOf(string arch, string options, out Module module)
    {
        module = ArchitectureRegistry.Create(arch, ArchitectureOptions.Parse(options), new Random(3));
        var d = new OrderedDictionary<string, Tensor>();
        foreach (var (k, v) in module.StateDict()) d.Add(k, v);
        return d;
    }

    [Theory]
    [InlineData("rrdbnet", "scale=4,features=16,blocks=3,growth=8", "scale=4,features=16,blocks=3,growth=8,channels=3")]
    [InlineData("rrdbnet", "scale=2,features=8,blocks=1,growth=4", "scale=2,features=8,blocks=1,growth=4,channels=3")]
    [InlineData("rrdbnet", "scale=1,features=8,blocks=2,growth=4,channels=1", "scale=1,features=8,blocks=2,growth=4,channels=1")]
    [InlineData("srvgg", "scale=4,features=16,convs=3", "scale=4,features=16,convs=3,channels=3")]
    [InlineData("srvgg", "scale=1,features=8,convs=0,channels=1", "scale=1,features=8,convs=0,channels=1")]
    [InlineData("edsr", "scale=3,features=16,blocks=2", "scale=3,features=16,blocks=2,channels=3,res_scale=1")]
    [InlineData("edsr", "scale=8,features=256,blocks=1,res_scale=0.1", "scale=8,features=256,blocks=1,channels=3,res_scale=0.1")]
    [InlineData("rcan", "scale=2,features=16,groups=2,blocks=3,squeeze=4", "scale=2,features=16,groups=2,blocks=3,squeeze=4,channels=3")]
    [InlineData("srresnet", "scale=4,features=16,blocks=2", "scale=4,features=16,blocks=2,channels=3")]
    [InlineData("srresnet", "scale=3,features=16,blocks=1", "scale=3,features=16,blocks=1,channels=3")]
    [InlineData("dncnn", "depth=17,features=16", "depth=17,features=16,channels=3,batch_norm=false")]
    [InlineData("dncnn", "depth=5,features=8,channels=1,batch_norm=true", "depth=5,features=8,channels=1,batch_norm=true")]
    [InlineData("ffdnet", "depth=4,features=8", "depth=4,features=8,channels=3")]
    public void Architecture_and_options_come_back_from_keys_and_shapes(string arch, string options, string expected)
    {
        var state = StateOf(arch, options, out _);
        var model = PyTorchModels.FromStateDict(state, "test");
        Assert.Equal(arch, model.Architecture.Name);
        foreach (var (k, v) in ArchitectureOptions.Parse(expected).Given()) Assert.Equal(v, model.Options[k]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Old_esrgan_key_layouts_map_onto_rrdbnet(bool trunkStyle)
    {
        var state = StateOf("rrdbnet", "scale=4,features=8,blocks=2,growth=4", out var original);
        var renamed = new OrderedDictionary<string, Tensor>();
        foreach (var (k, v) in state)
        {
            var parts = k.Split('.');
            string name = trunkStyle
                ? parts[0] switch
                {
                    "body" => $"RRDB_trunk.{parts[1]}.RDB{parts[2][3..]}.{parts[3]}.{parts[4]}",
                    "conv_body" => "trunk_conv." + parts[1],
                    "conv_up1" => "upconv1." + parts[1],
                    "conv_up2" => "upconv2." + parts[1],
                    "conv_hr" => "HRconv." + parts[1],
                    _ => k,
                }
                : parts[0] switch
                {
                    "conv_first" => "model.0." + parts[1],
                    "body" => $"model.1.sub.{parts[1]}.RDB{parts[2][3..]}.{parts[3]}.0.{parts[4]}",
                    "conv_body" => "model.1.sub.2." + parts[1],
                    "conv_up1" => "model.3." + parts[1],
                    "conv_up2" => "model.6." + parts[1],
                    "conv_hr" => "model.8." + parts[1],
                    "conv_last" => "model.10." + parts[1],
                    _ => throw new InvalidOperationException(k),
                };
            renamed.Add(name, v);
        }
        var model = PyTorchModels.FromStateDict(renamed, "test");
        Assert.Equal("rrdbnet", model.Architecture.Name);
        Assert.Contains(trunkStyle ? "ESRGAN-repository keys" : "old ESRGAN keys", model.Description);
        var a = original.StateDict();
        foreach (var (k, v) in model.Module.StateDict()) Assert.Equal(a[k].ToArray(), v.ToArray());
    }

    [Fact]
    public void Recognised_variants_restora_cannot_run_say_so()
    {
        // ESRGAN ×8 (three nearest upsamplings).
        var state = StateOf("rrdbnet", "scale=4,features=8,blocks=1,growth=4", out _);
        state.Add("conv_up3.weight", state["conv_up2.weight"]);
        state.Add("conv_up3.bias", state["conv_up2.bias"]);
        var e = Assert.Throws<InvalidDataException>(() => PyTorchModels.FromStateDict(state, "x8.pth"));
        Assert.Contains("3 ×2 upsampling convs", e.Message);
        // SRVGGNetCompact without PReLU slopes.
        var vgg = StateOf("srvgg", "scale=2,features=8,convs=1", out _);
        vgg.Remove("body.1.weight");
        vgg.Remove("body.3.weight");
        Assert.Contains("PReLU", Assert.Throws<InvalidDataException>(() => PyTorchModels.FromStateDict(vgg, "relu.pth")).Message);
        // A shape that does not fit after recognition.
        var bad = StateOf("srresnet", "scale=2,features=8,blocks=1", out _);
        bad["conv_hr.weight"] = Tensor.Persistent(8, 8, 5, 5);
        Assert.Contains("do not fit", Assert.Throws<InvalidDataException>(() => PyTorchModels.FromStateDict(bad, "bad.pth")).Message);
    }
}
