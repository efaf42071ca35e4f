using Restora.Core.Serialization;

namespace Restora.Core.Tests;

/// <summary>The PyTorch-made files under Reference/ (see make_reference.py there for how to regenerate them).</summary>
internal static class ReferenceData
{
    public static string Dir => Path.Combine(AppContext.BaseDirectory, "Reference");
    public static string PathOf(string file) => Path.Combine(Dir, file);

    static readonly Lazy<SafeTensors.Checkpoint> ops = new(() => SafeTensors.Load(PathOf("ops.safetensors")));
    public static IReadOnlyDictionary<string, Tensor> Ops => ops.Value.Tensors;

    public static void AssertClose(Tensor expected, Tensor actual, double atol, double rtol, string what)
    {
        Assert.True(expected.SameShape(actual), $"{what}: expected shape {expected.ShapeString}, got {actual.ShapeString}");
        var e = expected.ReadOnlySpan;
        var a = actual.ReadOnlySpan;
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(e[i] - a[i]) <= atol + rtol * Math.Abs(e[i]), $"{what}: element {i} expected {e[i]:G9}, got {a[i]:G9}");
    }
}
