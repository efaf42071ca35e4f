using Restora.Core;
using Restora.Models.Architectures;

namespace Restora.Models.Tests;

public class TrainedModelTests
{
    [Fact]
    public void LoadRebuildsTheArchitectureFromMetadataAloneAndReproducesTheOutput()
    {
        var options = ArchitectureOptions.Parse("scale=2,features=16,blocks=2");
        var net = ArchitectureRegistry.Create("edsr", options, new Random(7));
        var metadata = new ModelMetadata
        {
            Arch = "edsr", ArchOptions = options.Resolved, Task = "sr", Scale = 2, Iterations = 123,
            Command = "restora train --task sr --arch edsr", Extra = new Dictionary<string, string> { ["loss"] = "l1" },
        };
        string path = Path.Combine(Path.GetTempPath(), $"restora-trained-{Guid.NewGuid():N}.safetensors");
        try
        {
            TrainedModel.Save(path, net, metadata);
            var (loaded, meta) = TrainedModel.Load(path);
            Assert.Equal("edsr", meta.Arch);
            Assert.Equal("16", meta.ArchOptions["features"]);
            Assert.Equal(123, meta.Iterations);
            Assert.Equal("l1", meta.Extra["loss"]);
            Assert.Equal(metadata.Command, meta.Command);
            using var scope = new TensorScope();
            using var _ = Autograd.NoGrad();
            var x = Tensor.Uniform(new Random(8), 0, 1, 1, 3, 8, 8);
            Assert.Equal(net.Forward(x).ToArray(), loaded.Forward(x).ToArray());
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void LoadOfAPlainStateDictSaysItIsNotARestoraModel()
    {
        var net = ArchitectureRegistry.Create("srcnn", new ArchitectureOptions(), new Random(1));
        string path = Path.Combine(Path.GetTempPath(), $"restora-plain-{Guid.NewGuid():N}.safetensors");
        try
        {
            Restora.Core.Serialization.SafeTensors.SaveModule(path, net);
            var e = Assert.Throws<InvalidDataException>(() => TrainedModel.Load(path));
            Assert.Contains("arch", e.Message);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void InterpolationMixesEveryWeightAndRefusesAnotherNetwork()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"restora-interp-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            string Save(string name, int seed, string options = "scale=2,features=8,blocks=1")
            {
                var o = ArchitectureOptions.Parse(options);
                var net = ArchitectureRegistry.Create("edsr", o, new Random(seed));
                string path = Path.Combine(dir, name);
                TrainedModel.Save(path, net, new ModelMetadata { Arch = "edsr", ArchOptions = o.Resolved, Task = "sr", Scale = 2, Command = name,
                    Extra = new Dictionary<string, string> { ["loss"] = name } });
                return path;
            }
            string a = Save("a.safetensors", 1), b = Save("b.safetensors", 2), other = Save("c.safetensors", 3, "scale=2,features=4,blocks=1");
            var wa = TrainedModel.Load(a).Module.StateDict();
            var wb = TrainedModel.Load(b).Module.StateDict();
            foreach (double alpha in new[] { 0.0, 0.25, 1.0 })
            {
                string mixed = Path.Combine(dir, $"m{alpha}.safetensors");
                var meta = TrainedModel.Interpolate(a, b, alpha, mixed);
                Assert.Contains("interpolate a.safetensors b.safetensors", meta.Command);
                var wm = TrainedModel.Load(mixed).Module.StateDict();
                foreach (var (key, t) in wm)
                    for (int i = 0; i < t.Length; i++)
                        Assert.Equal((float)((1 - alpha) * wa[key].ReadOnlySpan[i] + alpha * wb[key].ReadOnlySpan[i]), t.ReadOnlySpan[i]);
            }
            Assert.Throws<ArgumentException>(() => TrainedModel.Interpolate(a, other, 0.5, Path.Combine(dir, "x.safetensors")));
            Assert.Throws<ArgumentException>(() => TrainedModel.Interpolate(a, b, 1.5, Path.Combine(dir, "y.safetensors")));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
