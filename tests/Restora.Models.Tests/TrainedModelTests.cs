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
}
