using System.Text.Json;
using Restora.Core;
using Restora.Core.Serialization;
using Restora.Models.Architectures;

namespace Restora.Models.Tests;

/// <summary>
/// Same weights, same input, same output as the PyTorch reference nets (Reference/architectures.py writes
/// forward.safetensors): checks that the mirrored names also mean the same computation (pixel-shuffle order,
/// mean shift, residual scalings, upsampling modes, noise maps).
/// </summary>
public class ForwardReferenceTests
{
    static readonly SafeTensors.Checkpoint Reference = SafeTensors.Load(Path.Combine(AppContext.BaseDirectory, "Reference", "forward.safetensors"));

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var name in Reference.Metadata.Keys.Order(StringComparer.Ordinal)) data.Add(name);
        return data;
    }

    [Fact]
    public void EveryArchitectureHasAForwardReference()
    {
        var covered = Reference.Metadata.Values.Select(v => JsonDocument.Parse(v).RootElement.GetProperty("arch").GetString()).ToHashSet();
        Assert.All(ArchitectureRegistry.All, a => Assert.Contains(a.Name, covered));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void ForwardMatchesPyTorchFromTheSameWeights(string name)
    {
        var config = JsonDocument.Parse(Reference.Metadata[name]).RootElement;
        string arch = config.GetProperty("arch").GetString()!;
        var options = config.GetProperty("options").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        var net = ArchitectureRegistry.Create(arch, new ArchitectureOptions(options), new Random(5));
        string prefix = name + ".w.";
        net.LoadStateDict(Reference.Tensors.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value));
        net.Eval();
        using var scope = new TensorScope();
        using var _ = Autograd.NoGrad();
        var x = Reference.Tensors[name + ".input"];
        var y = net is INoiseLevelInput noisy ? noisy.Forward(x, Reference.Tensors[name + ".sigma"]) : net.Forward(x);
        var expected = Reference.Tensors[name + ".output"];
        Assert.Equal(expected.Shape, y.Shape);
        float scale = 0, worst = 0;
        var e = expected.ReadOnlySpan;
        var a = y.ReadOnlySpan;
        for (int i = 0; i < e.Length; i++)
        {
            scale = Math.Max(scale, Math.Abs(e[i]));
            worst = Math.Max(worst, Math.Abs(e[i] - a[i]));
        }
        Assert.True(worst <= 1e-5f * Math.Max(1, scale), $"{name}: largest difference {worst} (outputs up to {scale})");
    }
}
