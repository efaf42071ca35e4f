using Restora.Core;
using Restora.Imaging;
using Restora.Models.Architectures;

namespace Restora.Models.Tests;

public class NetworkRestorerTests
{
    static Image Photo(int w, int h, PixelLayout layout = PixelLayout.Rgb)
    {
        var image = new Image(w, h, layout);
        for (int c = 0; c < image.Channels; c++)
        {
            var p = image.Plane(c);
            for (int i = 0; i < p.Length; i++) p[i] = 0.2f + 0.6f * ((i * 7 + c * 13) % 17) / 17f;
        }
        return image;
    }

    static NetworkRestorer Restorer(string arch, string options, RestorationTask task, int channels = 3)
    {
        var info = ArchitectureRegistry.Get(arch);
        var parsed = ArchitectureOptions.Parse(options + $",channels={channels}");
        var net = ArchitectureRegistry.Create(arch, parsed, new Random(3));
        return new NetworkRestorer(arch, net, info, channels, task, parsed.Given());
    }

    [Theory]
    [InlineData("unet", "features=4,blocks=1", "denoise", 1)]
    [InlineData("ffdnet", "features=8,depth=3", "denoise", 1)]
    [InlineData("espcn", "scale=2", "sr", 2)]
    [InlineData("srcnn", "", "sr", 3)]
    [InlineData("dncnn", "depth=3,features=8", "deblock", 1)]
    public void OutputHasTheTargetSizeEvenWhenTheInputIsNotASizeMultiple(string arch, string options, string task, int scale)
    {
        var t = TaskRegistry.Get(task);
        var restored = Restorer(arch, options, t).Restore(Photo(13, 11), new TaskSettings { Task = t, Parameters = t.Enlarges ? TaskParameters.Empty.With("scale", scale) : TaskParameters.Empty, ToldNoiseSigma = 25 });
        Assert.Equal(13 * scale, restored.Width);
        Assert.Equal(11 * scale, restored.Height);
        Assert.Equal(3, restored.Channels);
    }

    [Fact]
    public void OneChannelNetworkRestoresTheLumaOfAColorImageAndKeepsItsColor()
    {
        // An untrained DnCNN predicts almost no noise, so it is close to the identity: the Y path must give the
        // colors back through rgb2ycbcr and its inverse.
        var photo = Photo(16, 12);
        var restored = Restorer("dncnn", "depth=3,features=8", RestorationTask.Denoise, channels: 1)
            .Restore(photo, new TaskSettings { Task = RestorationTask.Denoise, Parameters = TaskParameters.Empty.With("sigma", 25) });
        Assert.Equal(PixelLayout.Rgb, restored.Layout);
        float worst = 0;
        for (int i = 0; i < photo.Data.Length; i++) worst = Math.Max(worst, Math.Abs(photo.Data[i] - restored.Data[i]));
        Assert.True(worst < 0.05f, $"largest change {worst}");
    }

    [Fact]
    public void ThreeChannelNetworkOnAGrayImageReturnsGray()
    {
        var restored = Restorer("dncnn", "depth=3,features=8", RestorationTask.Denoise)
            .Restore(Photo(10, 10, PixelLayout.Gray), new TaskSettings { Task = RestorationTask.Denoise, Parameters = TaskParameters.Empty.With("sigma", 25) });
        Assert.Equal(PixelLayout.Gray, restored.Layout);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TiledUNetGivesTheWholeImageResult(bool residual)
    {
        // The margin comes from the registry's receptive radius; too small a radius shows here as seams.
        var photo = Photo(203, 186);
        var settings = new TaskSettings { Task = RestorationTask.Denoise, Parameters = TaskParameters.Empty.With("sigma", 25) };
        var whole = Restorer("unet", $"features=4,blocks=1,noise_map=true,residual={residual}", RestorationTask.Denoise).Restore(photo, settings);
        var tiledRestorer = Restorer("unet", $"features=4,blocks=1,noise_map=true,residual={residual}", RestorationTask.Denoise);
        tiledRestorer.Tile = 48;
        var tiled = tiledRestorer.Restore(photo, settings);
        float worst = 0;
        for (int i = 0; i < whole.Data.Length; i++) worst = Math.Max(worst, Math.Abs(whole.Data[i] - tiled.Data[i]));
        Assert.True(worst < 1e-5f, $"largest difference {worst}");
    }

    [Fact]
    public void UNetInferenceMatchesTheTrainingForward()
    {
        // Inference takes another road: ReLU and skips fused into the convs, activations released as soon as read.
        // Training records the plain ops one by one; the two must agree to float rounding.
        var net = ArchitectureRegistry.Create("unet", ArchitectureOptions.Parse("features=8,blocks=2,noise_map=true,residual=true,channels=3"), new Random(5));
        var rng = new Random(6);
        var x = Tensor.Empty(1, 3, 40, 56);
        var xs = x.Span;
        for (int i = 0; i < xs.Length; i++) xs[i] = (float)rng.NextDouble();
        var training = net.Forward(x).ToArray();
        float[] inference;
        using (Autograd.NoGrad()) inference = net.Forward(x).ToArray();
        Assert.False(x.IsDisposed);
        float worst = 0;
        for (int i = 0; i < training.Length; i++) worst = Math.Max(worst, Math.Abs(training[i] - inference[i]));
        Assert.True(worst < 1e-4f, $"largest difference {worst}");
    }

    [Fact]
    public void ResidualUNetStartsAsNearlyTheIdentity()
    {
        var photo = Photo(40, 32);
        var restored = Restorer("unet", "features=8,blocks=1,residual=true", RestorationTask.Deblock)
            .Restore(photo, new TaskSettings { Task = RestorationTask.Deblock });
        float worst = 0;
        for (int i = 0; i < photo.Data.Length; i++) worst = Math.Max(worst, Math.Abs(photo.Data[i] - restored.Data[i]));
        Assert.True(worst < 0.02f, $"largest change {worst}");
    }

    [Fact]
    public void TiledEdsrGivesTheWholeImageResult()
    {
        var photo = Photo(77, 61);
        var settings = new TaskSettings { Task = RestorationTask.SuperResolution, Parameters = TaskParameters.Empty.With("scale", 3) };
        var whole = Restorer("edsr", "features=8,blocks=2,scale=3", RestorationTask.SuperResolution).Restore(photo, settings);
        var tiledRestorer = Restorer("edsr", "features=8,blocks=2,scale=3", RestorationTask.SuperResolution);
        tiledRestorer.Tile = 16;
        var tiled = tiledRestorer.Restore(photo, settings);
        Assert.Equal((231, 183), (tiled.Width, tiled.Height));
        float worst = 0;
        for (int i = 0; i < whole.Data.Length; i++) worst = Math.Max(worst, Math.Abs(whole.Data[i] - tiled.Data[i]));
        Assert.True(worst < 1e-5f, $"largest difference {worst}");
    }
}
