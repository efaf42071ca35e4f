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
}
