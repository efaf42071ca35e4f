using System.Security.Cryptography;
using System.Text;
using Restora.Core;
using Restora.Imaging;
using Restora.Models.Architectures;

namespace Restora.Models.Tests;

/// <summary>
/// The pix2pix U-Net against the reference implementation (Reference/pix2pix_reference.py rebuilds junyanz's
/// UnetGenerator in PyTorch 1.13 with known weights), and the colorizer built on it: it keeps the input's luminance.
/// </summary>
public class Pix2PixTests
{
    static Tensor Fill(double offset, double scale, params int[] shape) => Restora.TestSupport.SineFill.Make(offset, scale, shape);

    [Theory]
    [InlineData(5, "bdebaac6f6ddf262bf128404978dc1bdabf96b37", 46, new[] { 0.590294f, 0.614208f, 0.610819f, 0.617215f, 0.624562f, 0.597055f }, 0.53275)]
    [InlineData(7, "0c51a1625d3c40009a1146ae81bf7f1c50d0dc3a", 70, new[] { 0.455548f, 0.453372f, 0.449163f, 0.461568f, 0.460287f, 0.461661f }, 0.426634)]
    public void KeysShapesAndOutputsMatchTheReferenceUNetGenerator(int depth, string keysSha1, int keyCount, float[] firstOutputs, double mean)
    {
        var net = (Pix2PixUNet)ArchitectureRegistry.Create("pix2pix-unet",
            new ArchitectureOptions(new Dictionary<string, string> { ["features"] = "4", ["depth"] = depth.ToString() }), new Random(0));
        var state = net.StateDict();
        Assert.Equal(keyCount, state.Count);
        string lines = string.Join("\n", state.Select(kv => $"{kv.Key} [{string.Join(", ", kv.Value.Shape)}]"));
        Assert.Equal(keysSha1, Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(lines))));

        int k = 0;
        foreach (var (_, p) in net.NamedParameters()) Fill(k++ * 0.1, 0.2, [.. p.Shape]).ReadOnlySpan.CopyTo(p.Span);
        net.Eval();
        var x = F.Add(F.Mul(Fill(0.3, 0.5, 1, 3, 1 << depth, 1 << depth), 0.5f), 0.5f);
        Tensor y;
        using (Autograd.NoGrad()) y = net.Forward(x);
        for (int i = 0; i < firstOutputs.Length; i++) Assert.Equal(firstOutputs[i], y.ReadOnlySpan[i], 5);
        double actualMean = 0;
        foreach (var v in y.ReadOnlySpan) actualMean += v;
        Assert.Equal(mean, actualMean / y.Length, 5);
    }

    /// <summary>A smooth colour photo on 8-bit codes.</summary>
    static Image Photo(int w, int h, int seed)
    {
        var image = new Image(w, h, PixelLayout.Rgb);
        for (int c = 0; c < 3; c++)
        {
            var p = image.Plane(c);
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    p[y * w + x] = MathF.Round(255 * (0.5f + 0.4f * MathF.Sin(0.11f * x * (c + 1) + 0.07f * y + seed))) / 255;
        }
        return image;
    }

    static NetworkRestorer Colorizer(int seed)
    {
        var options = new Dictionary<string, string> { ["channels"] = "1", ["out_channels"] = "3", ["keep_luminance"] = "true", ["features"] = "8", ["depth"] = "5" };
        var net = ArchitectureRegistry.Create("pix2pix-unet", new ArchitectureOptions(options), new Random(seed));
        // Untrained weights are too timid to leave the gamut: scale the last layer up so clipping would bite.
        var last = net.NamedParameters().Last(p => p.Name.EndsWith("weight")).Parameter;
        System.Numerics.Tensors.TensorPrimitives.Multiply(last.ReadOnlySpan, 20f, last.Span);
        net.Eval();
        return new NetworkRestorer("colorizer", net, ArchitectureRegistry.Get("pix2pix-unet"), 1, RestorationTask.Colorize, options);
    }

    [Fact]
    public void AColorizerKeepsTheLuminanceOfEveryPixelToOneLevel()
    {
        var photo = Photo(53, 37, 4);
        var restorer = Colorizer(2);
        var gray = RestorationTask.Colorize.Degrade(photo, TaskParameters.Empty, 0);
        Assert.True(gray.IsGray);
        var colored = restorer.Restore(gray, new TaskSettings { Task = RestorationTask.Colorize }).Quantize();
        Assert.Equal(PixelLayout.Rgb, colored.Layout);
        Assert.Equal((53, 37), (colored.Width, colored.Height));
        var y = Color.Luminance(colored);
        double worst = 0, chroma = 0;
        for (int i = 0; i < y.PixelCount; i++)
        {
            worst = Math.Max(worst, Math.Abs(y.Plane(0)[i] - gray.Plane(0)[i]) * 255);
            chroma += Math.Abs(colored.Plane(0)[i] - colored.Plane(2)[i]);
        }
        Assert.True(worst <= 1, $"luminance moved by {worst} levels");
        // It did colour the image (the test would pass trivially on gray output otherwise), and pushed pixels to
        // the gamut's edge where shrinking the chroma had to act.
        Assert.True(chroma / y.PixelCount > 0.05, $"mean |R-B| {chroma / y.PixelCount}");
        Assert.Contains(colored.Data.Take(colored.PixelCount * 3), v => v is 0 or 1);
    }

    [Fact]
    public void AColorizerReadsAColourImageByItsLuminanceAndKeepsAlpha()
    {
        var photo = Photo(40, 24, 1);
        var rgba = new Image(40, 24, PixelLayout.Rgba);
        for (int c = 0; c < 3; c++) photo.Plane(c).CopyTo(rgba.Plane(c));
        rgba.Plane(3).Fill(0.5f);
        var restorer = Colorizer(3);
        var settings = new TaskSettings { Task = RestorationTask.Colorize };
        var fromColour = restorer.Restore(rgba, settings);
        var fromGray = restorer.Restore(Color.Luminance(photo), settings);
        Assert.Equal(PixelLayout.Rgba, fromColour.Layout);
        Assert.True(fromColour.Plane(3).ToArray().All(v => v == 0.5f));
        for (int c = 0; c < 3; c++) Assert.True(fromColour.Plane(c).SequenceEqual(fromGray.Plane(c)), $"channel {c}");
    }

    [Fact]
    public void TilesGiveTheSamePixelsAsTheWholeImage()
    {
        var gray = Color.Luminance(Photo(150, 90, 5));
        var restorer = Colorizer(4);
        var settings = new TaskSettings { Task = RestorationTask.Colorize };
        var whole = restorer.Restore(gray, settings);
        restorer.Tile = 48;
        var tiled = restorer.Restore(gray, settings);
        for (int c = 0; c < 3; c++) Assert.True(whole.Plane(c).SequenceEqual(tiled.Plane(c)), $"channel {c} differs when tiled");
    }

    [Fact]
    public void LuminanceIsTheRoundedWeightedSumOnEightBitCodes()
    {
        var image = new Image(2, 1, PixelLayout.Rgb);
        // (200, 100, 50): 0.299·200 + 0.587·100 + 0.114·50 = 124.2 → 124; (255, 0, 1): 76.359 → 76.
        float[] r = [200, 255], g = [100, 0], b = [50, 1];
        for (int i = 0; i < 2; i++) { image.Plane(0)[i] = r[i] / 255; image.Plane(1)[i] = g[i] / 255; image.Plane(2)[i] = b[i] / 255; }
        var y = Color.Luminance(image);
        Assert.Equal(124f / 255, y.Plane(0)[0]);
        Assert.Equal(76f / 255, y.Plane(0)[1]);
    }
}
