namespace Restora.Cli.Tests;

/// <summary>
/// The bicubic SR baselines of ../shared/REFERENCE.md ("measured here"), reproduced through the command line:
/// this checks resize, the crop, rgb2ycbcr, the shave, PSNR and SSIM together.
/// </summary>
public class ReferenceFiguresTests
{
    [Theory]
    [InlineData("CSet5", 2, 33.6818, 0.9305)]
    [InlineData("CSet5", 3, 30.4047, 0.8690)]
    [InlineData("CSet5", 4, 28.4314, 0.8113)]
    [InlineData("CSet14", 2, 30.3301, 0.8700)]
    [InlineData("CSet14", 3, 27.6341, 0.7760)]
    [InlineData("CSet14", 4, 26.0918, 0.7050)]
    public void Bicubic_eval_reproduces_the_measured_baseline(string set, int scale, double psnr, double ssim)
    {
        var data = Path.Combine(CliRunner.SharedFolder, "datasets", set);
        var r = CliRunner.Run("eval", "--data", data, "--task", "sr", "--scale", scale.ToString(), "--method", "bicubic", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.InRange(r.Json.GetProperty("psnr").GetDouble(), psnr - 0.01, psnr + 0.01);
        Assert.InRange(r.Json.GetProperty("ssim").GetDouble(), ssim - 0.001, ssim + 0.001);
    }

    [Theory]
    [InlineData("esrgan-thick-x4", 29.95, 0.8523)]
    [InlineData("esrgan-slim-x4", 28.60, 0.8135)]
    public void Pretrained_model_eval_reproduces_the_measured_figures(string model, double psnr, double ssim)
    {
        var data = Path.Combine(CliRunner.SharedFolder, "datasets", "CSet5");
        var r = CliRunner.Run("eval", "--data", data, "--task", "sr", "--scale", "4", "--method", model, "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.InRange(r.Json.GetProperty("psnr").GetDouble(), psnr - 0.01, psnr + 0.01);
        Assert.InRange(r.Json.GetProperty("ssim").GetDouble(), ssim - 0.001, ssim + 0.001);
    }

    [Theory]
    [InlineData(10, 27.77)]
    [InlineData(40, 32.35)]
    public void Gray_JPEG_eval_on_LIVE1_reproduces_the_DnCNN_papers_input_figures(int quality, double psnr)
    {
        // The DnCNN paper's protocol: the 8-bit Y of each colour image, JPEG-compressed, scored on that gray image.
        var data = Path.Combine(CliRunner.SharedFolder, "datasets", "LIVE1");
        var r = CliRunner.Run("eval", "--data", data, "--task", "deblock", "--quality", quality.ToString(), "--gray", "--method", "identity", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.InRange(r.Json.GetProperty("psnr").GetDouble(), psnr - 0.01, psnr + 0.01);
    }

    [Fact]
    public void Colorize_identity_on_CBSD68_is_the_gray_floor_REFERENCE_states()
    {
        var data = Path.Combine(CliRunner.SharedFolder, "datasets", "CBSD68");
        var r = CliRunner.Run("eval", "--data", data, "--task", "colorize", "--metrics", "colorfulness", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.InRange(r.Json.GetProperty("psnr").GetDouble(), 22.80 - 0.01, 22.80 + 0.01);
        Assert.Equal(0, r.Json.GetProperty("metrics").GetProperty("colorfulness").GetDouble());
    }
}
