using Restora.Core;
using Restora.Imaging;
using Restora.Models.Architectures;
using Restora.Models.Toolchain;

namespace Restora.Models.Tests.Toolchain;

/// <summary>RL-Restore's networks and the toolchain restorer: sizes against the paper, files, chains on whole images.</summary>
public sealed class ToolchainTests : IDisposable
{
    readonly string dir = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"restora-toolchain-{Guid.NewGuid():N}")).FullName;
    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void TheThreeLayerToolHasThePapers22kParametersAndTheEightLayerOne54k()
    {
        var mild = ArchitectureRegistry.Create("rl-tool", ArchitectureOptions.Parse("layers=3"), new Random(1));
        var severe = ArchitectureRegistry.Create("rl-tool", ArchitectureOptions.Parse("layers=8"), new Random(1));
        // 9x9x3x32+32, 5x5x32x16+16, 5x5x16x3+3; the eight-layer one adds five 5x5x16x16+16.
        Assert.Equal(7808 + 12816 + 1203, mild.Parameters().Sum(p => p.Length));
        Assert.Equal(7808 + 12816 + 5 * 6416 + 1203, severe.Parameters().Sum(p => p.Length));
        Assert.Throws<ArgumentException>(() => ArchitectureRegistry.Create("rl-tool", ArchitectureOptions.Parse("layers=5"), new Random(1)));
    }

    [Fact]
    public void AToolIsResidualItsZeroedLastLayerGivesTheInputBack()
    {
        var tool = ArchitectureRegistry.Create("rl-tool", ArchitectureOptions.Parse("layers=3"), new Random(2));
        foreach (var (name, p) in tool.NamedParameters()) if (name.StartsWith("conv3.", StringComparison.Ordinal)) p.Span.Clear();
        using var _ = Autograd.NoGrad();
        var x = Tensor.Uniform(new Random(3), 0, 1, 1, 3, 20, 20);
        Assert.Equal(x.ReadOnlySpan.ToArray(), tool.Forward(x).ReadOnlySpan.ToArray());
    }

    [Fact]
    public void TheAgentGivesAQValuePerToolAndStopAndCountsItsOwnCost()
    {
        var agent = new AgentNetwork(3, 12, rng: new Random(4));
        using var _ = Autograd.NoGrad();
        var (q, h, c) = agent.Step(Tensor.Uniform(new Random(5), 0, 1, 2, 3, 63, 63), ToolchainRestorer.OneHot(2, 12, 4), Tensor.Zeros(2, 50), Tensor.Zeros(2, 50));
        Assert.Equal([2, 13], q.Shape);
        Assert.Equal([2, 50], h.Shape);
        Assert.Equal([2, 50], c.Shape);
        // conv1 32²·(9·9·3·32), conv2 16²·(5·5·32·24), conv3 8²·(5·5·24·24), conv4 4²·(5·5·24·24), fc, LSTM, Q.
        long expected = 1024L * 7776 + 256L * 19200 + 64L * 14400 + 16L * 14400 + 384 * 32 + 200 * 44 + 200 * 50 + 50 * 13;
        Assert.Equal(expected, agent.MacsPerCrop());
        Assert.Throws<ArgumentException>(() => agent.Step(Tensor.Zeros(1, 3, 32, 32), Tensor.Zeros(1, 12), Tensor.Zeros(1, 50), Tensor.Zeros(1, 50)));
    }

    [Fact]
    public void CropsCoverTheImageOnAGridAndPadASmallImageByItsEdge()
    {
        var big = new Image(300, 200, PixelLayout.Rgb);
        Assert.Equal([9, 3, 63, 63], Toolbox.Crops(big, 3, 3).Shape);
        var small = new Image(40, 30, PixelLayout.Gray);
        small.Plane(0)[29 * 40 + 39] = 1;   // the bottom-right pixel, repeated into the padding
        var crops = Toolbox.Crops(small, 3, 3);
        Assert.Equal([1, 3, 63, 63], crops.Shape);
        Assert.Equal(1, crops.ReadOnlySpan[62 * 63 + 62]);
        Assert.Equal(1, crops.ReadOnlySpan[2 * 63 * 63 + 50 * 63 + 39]);
    }

    string SaveTool(string name, int seed)
    {
        var options = ArchitectureOptions.Parse("layers=3");
        var net = ArchitectureRegistry.Create("rl-tool", options, new Random(seed));
        string path = Path.Combine(dir, name + ".safetensors");
        TrainedModel.Save(path, net, new ModelMetadata { Arch = "rl-tool", ArchOptions = options.Resolved, Task = "mixed", Command = "test" });
        return path;
    }

    [Fact]
    public void AnAgentFileRoundTripsAndOpensWithItsToolsIntoAChainOnAWholeImage()
    {
        SaveTool("tool-a", 1);
        SaveTool("tool-b", 2);
        var agent = new AgentNetwork(3, 2, rng: new Random(6));
        string file = Path.Combine(dir, "agent.safetensors");
        AgentModel.Save(file, agent, new AgentModel.Info(["tool-a", "tool-b"], 3, 50, 3, 77, "restora train-agent …", new Dictionary<string, string> { ["val_psnr_gain"] = "1.5" }));
        Assert.True(AgentModel.IsAgentFile(file));
        Assert.False(AgentModel.IsAgentFile(Path.Combine(dir, "tool-a.safetensors")));
        // Its metadata reads as any model's (models list, models info).
        Assert.Equal("rl-agent", TrainedModel.ReadMetadata(file).Arch);

        var restorer = (ToolchainRestorer)ModelLoader.Open(file);
        Assert.Equal(["tool-a", "tool-b"], restorer.Toolbox.Tools.Select(t => t.Name));
        Assert.Equal(77, restorer.Info!.Iterations);
        Assert.Equal("1.5", restorer.Info.Extra["val_psnr_gain"]);
        var image = TestImagesForModels.Pattern(150, 90);
        var output = restorer.Restore(image, new TaskSettings { Task = TaskRegistry.Get("mixed") }, out var report);
        Assert.Equal((150, 90), (output.Width, output.Height));
        Assert.InRange(report.Steps, 0, 3);
        // The agent's own cost at least (3x2 crops per step), plus each tool's 21,776 multiply-adds per pixel (its conv weights).
        double agentStep = 2.0 * agent.MacsPerCrop() * 6 / 1e9;
        double tools = report.Steps * 2.0 * 21776 * 150 * 90 / 1e9;
        Assert.InRange(report.Gflops, agentStep + tools - 1e-9, agentStep * 3 + tools + 1e-9);
    }

    [Fact]
    public void ADamagedAgentFileIsOneClearError()
    {
        var agent = new AgentNetwork(3, 2, rng: new Random(6));
        string file = Path.Combine(dir, "agent.safetensors");
        AgentModel.Save(file, agent, new AgentModel.Info(["missing-a", "missing-b"], 3, 50, 3, 1, "", new Dictionary<string, string>()));
        var e = Assert.Throws<InvalidDataException>(() => ToolchainRestorer.Open(file));
        Assert.Contains("missing-a", e.Message);
        File.WriteAllBytes(file, File.ReadAllBytes(file)[..100]);
        Assert.False(AgentModel.IsAgentFile(file));
    }
}

static class TestImagesForModels
{
    public static Image Pattern(int width, int height)
    {
        var image = new Image(width, height, PixelLayout.Rgb);
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                    image.Plane(c)[y * width + x] = (float)(0.5 + 0.4 * Math.Sin(0.1 * x + 0.17 * y + c));
        return image;
    }
}
