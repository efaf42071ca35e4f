using System.Text.Json;
using Restora.Core;
using Restora.Core.Nn;
using Restora.Core.Serialization;
using Restora.Models.Architectures;

namespace Restora.Models.Tests;

/// <summary>
/// Every architecture against its PyTorch reference (Reference/architectures.py → architectures.json): the same
/// state-dict keys in the same order with the same shapes, hence the same parameter count; the output size the
/// task expects; and a lossless state-dict round trip through safetensors.
/// </summary>
public class ArchitectureTests
{
    sealed record ReferenceConfig(string Arch, Dictionary<string, string> Options, long Parameters, List<(string Key, int[] Shape)> StateDict)
    {
        public override string ToString() => $"{Arch} {JsonSerializer.Serialize(Options)}";
    }

    static readonly List<ReferenceConfig> References = LoadReferences();

    static List<ReferenceConfig> LoadReferences()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Reference", "architectures.json")));
        return doc.RootElement.EnumerateArray().Select(e => new ReferenceConfig(
            e.GetProperty("arch").GetString()!,
            e.GetProperty("options").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!),
            e.GetProperty("parameters").GetInt64(),
            e.GetProperty("state_dict").EnumerateArray()
                .Select(kv => (kv[0].GetString()!, kv[1].EnumerateArray().Select(d => d.GetInt32()).ToArray())).ToList())).ToList();
    }

    public static TheoryData<int> ReferenceIndices()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < References.Count; i++) data.Add(i);
        return data;
    }

    static Module Build(ReferenceConfig c) => ArchitectureRegistry.Create(c.Arch, new ArchitectureOptions(c.Options), new Random(1));

    [Theory]
    [MemberData(nameof(ReferenceIndices))]
    public void StateDictKeysShapesAndParameterCountMatchPyTorch(int index)
    {
        var reference = References[index];
        var net = Build(reference);
        var ours = net.StateDict().Select(kv => (kv.Key, kv.Value.Shape.ToArray())).ToList();
        Assert.Equal(reference.StateDict.Select(k => k.Key), ours.Select(k => k.Key));
        for (int i = 0; i < ours.Count; i++) Assert.True(reference.StateDict[i].Shape.SequenceEqual(ours[i].Item2), $"{ours[i].Key}: shape differs");
        Assert.Equal(reference.Parameters, net.Parameters().Sum(p => (long)p.Length));
    }

    [Fact]
    public void EveryRegisteredArchitectureHasAReference()
    {
        var covered = References.Select(r => r.Arch).ToHashSet();
        Assert.All(ArchitectureRegistry.All, a => Assert.Contains(a.Name, covered));
    }

    /// <summary>The smallest reference configuration of each architecture, to keep forward passes cheap.</summary>
    public static TheoryData<string> ArchitectureNames()
    {
        var data = new TheoryData<string>();
        foreach (var a in ArchitectureRegistry.All) data.Add(a.Name);
        return data;
    }

    static ReferenceConfig Smallest(string arch) => References.Where(r => r.Arch == arch).MinBy(r => r.Parameters)!;

    [Theory]
    [MemberData(nameof(ArchitectureNames))]
    public void ForwardGivesTheSizeTheScaleModeSays(string arch)
    {
        var reference = Smallest(arch);
        var info = ArchitectureRegistry.Get(arch);
        var options = new ArchitectureOptions(reference.Options);
        var net = ArchitectureRegistry.Create(arch, options, new Random(2));
        int channels = int.Parse(options.Resolved["channels"]);
        int scale = info.ScaleMode == ScaleMode.Upsampling ? int.Parse(options.Resolved["scale"]) : 1;
        // 16x24, or the smallest sides the network's size multiple allows.
        int m = info.SizeMultipleFor(options.Resolved);
        int h = (16 + m - 1) / m * m, w = (24 + m - 1) / m * m;
        using var scope = new TensorScope();
        using var _ = Autograd.NoGrad();
        var x = Tensor.Uniform(new Random(3), 0, 1, 2, channels, h, w);
        var y = net.Forward(x);
        Assert.Equal(new[] { 2, ArchitectureInfo.OutputChannels(options.Resolved), h * scale, w * scale }, y.Shape);
        Assert.All(y.ToArray(), v => Assert.True(float.IsFinite(v)));
    }

    [Theory]
    [MemberData(nameof(ArchitectureNames))]
    public void StateDictRoundTripsThroughSafeTensors(string arch)
    {
        var reference = Smallest(arch);
        var saved = Build(reference);
        var loaded = ArchitectureRegistry.Create(arch, new ArchitectureOptions(reference.Options), new Random(99));
        string path = Path.Combine(Path.GetTempPath(), $"restora-arch-{arch}-{Guid.NewGuid():N}.safetensors");
        try
        {
            SafeTensors.SaveModule(path, saved);
            SafeTensors.LoadModule(path, loaded);
        }
        finally { File.Delete(path); }
        var a = saved.StateDict();
        var b = loaded.StateDict();
        foreach (var (key, t) in a) Assert.True(t.ReadOnlySpan.SequenceEqual(b[key].ReadOnlySpan), $"{key} changed in the round trip");
    }

    [Fact]
    public void UnknownOptionIsRejectedWithTheOptionsTheArchitectureReads()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            ArchitectureRegistry.Create("dncnn", ArchitectureOptions.Parse("depth=5,blokcs=3"), new Random(0)));
        Assert.Contains("blokcs", e.Message);
        Assert.Contains("depth", e.Message);
    }

    [Fact]
    public void UnknownArchitectureNamesTheKnownOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => ArchitectureRegistry.Get("srgan"));
        Assert.Contains("edsr", e.Message);
    }

    [Fact]
    public void FfdNetNoiseLevelChangesTheOutput()
    {
        var net = (FfdNet)ArchitectureRegistry.Create("ffdnet", ArchitectureOptions.Parse("features=8,depth=3"), new Random(4));
        using var scope = new TensorScope();
        using var _ = Autograd.NoGrad();
        var x = Tensor.Uniform(new Random(5), 0, 1, 1, 3, 8, 8);
        var low = net.Forward(x, NoiseMapOf(5f / 255));
        var high = net.Forward(x, NoiseMapOf(50f / 255));
        Assert.False(low.ReadOnlySpan.SequenceEqual(high.ReadOnlySpan));
    }

    static Tensor NoiseMapOf(float level) => Tensor.Full(level, 1, 1, 1, 1);
}
