namespace Restora.Cli.Tests;

/// <summary>No-reference metrics through the command line, against ../shared/REFERENCE.md's figures.</summary>
public class NoReferenceMetricTests
{
    static string CSet14 => Path.Combine(CliRunner.SharedFolder, "datasets", "CSet14");

    [Fact]
    public void Niqe_of_baboon_is_matlabs_and_one_image_takes_no_reference()
    {
        var r = CliRunner.Run("metrics", Path.Combine(CSet14, "baboon.png"), "--metrics", "niqe", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(5.72957, r.Json.GetProperty("niqe").GetDouble(), 0.001);
        var full = CliRunner.Run("metrics", Path.Combine(CSet14, "baboon.png"), "--metrics", "psnr");
        Assert.Equal(1, full.ExitCode);
        Assert.Contains("REF and TEST", full.Stderr);
    }

    [Fact]
    public void Eval_adds_the_mean_niqe_of_the_restored_images()
    {
        // REFERENCE.md: bicubic x4 on CSet14 has mean NIQE 7.8111 (MATLAB imresize in double); Restora's resize
        // rounds in float32, which moves single images by up to 3e-3.
        var r = CliRunner.Run("eval", "--data", CSet14, "--task", "sr", "--scale", "4", "--metrics", "psnr,ssim,niqe", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var metrics = r.Json.GetProperty("metrics");
        Assert.Equal(7.8111, metrics.GetProperty("niqe").GetDouble(), 0.003);
        Assert.Equal(r.Json.GetProperty("psnr").GetDouble(), metrics.GetProperty("psnr").GetDouble());
        Assert.Equal(14, r.Json.GetProperty("images").GetArrayLength());
        Assert.True(r.Json.GetProperty("images")[0].GetProperty("metrics").GetProperty("niqe").GetDouble() > 0);
    }
}
