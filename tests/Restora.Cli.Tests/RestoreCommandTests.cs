using Restora.Imaging;

namespace Restora.Cli.Tests;

/// <summary>`denoise`, `deblock` and `deblur` with networks trained here in a few iterations (the behaviour of the
/// commands, not the quality of the networks).</summary>
public sealed class RestoreCommandTests : IDisposable
{
    readonly TempDir dir = new();

    public void Dispose() => dir.Dispose();

    string Train(string task, string arch, string options, params string[] extra)
    {
        var data = Directory.CreateDirectory(dir[$"data-{task}"]).FullName;
        for (int i = 0; i < 2; i++) TestFiles.WritePng(Path.Combine(data, $"t{i}.png"), 40, 36);
        string model = dir[$"{task}.safetensors"];
        var r = CliRunner.Run(["train", "--task", task, "--arch", arch, "--arch-options", options, "--data", data,
            "-o", model, "--patch", "16", "--batch", "2", "--iters", "3", "--checkpoint-every", "3", "--val-every", "3", .. extra]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        return model;
    }

    [Fact]
    public void Denoise_runs_a_trained_network_and_any_tile_size_gives_the_same_pixels()
    {
        string model = Train("denoise", "ffdnet", "depth=3,features=8");
        var image = TestFiles.Pattern(90, 70, PixelLayout.Rgba);
        ImageFile.Save(image, dir["in.png"]);
        var whole = CliRunner.Run("denoise", dir["in.png"], "-o", dir["whole.png"], "--model", model, "--sigma", "20", "--json");
        Assert.True(whole.ExitCode == 0, whole.Stderr);
        Assert.Equal("denoise", Path.GetFileNameWithoutExtension(whole.Json.GetProperty("model").GetString()));
        var tiled = CliRunner.Run("denoise", dir["in.png"], "-o", dir["tiled.png"], "--model", model, "--sigma", "20", "--tile", "16");
        Assert.True(tiled.ExitCode == 0, tiled.Stderr);
        var a = ImageFile.Load(dir["whole.png"]);
        var b = ImageFile.Load(dir["tiled.png"]);
        Assert.Equal((90, 70, PixelLayout.Rgba), (a.Width, a.Height, a.Layout));
        int worst = a.Data.Zip(b.Data, (x, y) => Math.Abs(Image.ToCode(x, 255) - Image.ToCode(y, 255))).Max();
        Assert.True(worst <= 1, $"tiles differ by {worst} levels");
        Assert.Equal(image.Plane(3).ToArray().Select(v => Image.ToCode(v, 255)), a.Plane(3).ToArray().Select(v => Image.ToCode(v, 255))); // alpha carried over
    }

    [Fact]
    public void Denoise_without_a_sigma_estimates_it_and_says_so()
    {
        string model = Train("denoise", "ffdnet", "depth=3,features=8");
        TestFiles.WritePng(dir["in.png"], 40, 30);
        var r = CliRunner.Run("denoise", dir["in.png"], "-o", dir["out.png"], "--model", model);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("estimated noise sigma", r.Stderr);
    }

    [Fact]
    public void A_model_of_another_task_or_a_missing_model_is_a_user_error()
    {
        string model = Train("deblur", "dncnn", "depth=3,features=8");
        TestFiles.WritePng(dir["in.png"], 40, 30);
        var wrong = CliRunner.Run("deblock", dir["in.png"], "-o", dir["out.png"], "--model", model);
        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains("deblur model", wrong.Stderr);
        var ok = CliRunner.Run("deblur", dir["in.png"], "-o", dir["out.png"], "--model", model);
        Assert.True(ok.ExitCode == 0, ok.Stderr);
        var missing = CliRunner.Run("deblur", dir["in.png"], "-o", dir["out2.png"], "--model", "no-such-model");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("no-such-model", missing.Stderr);
    }

    [Fact]
    public void Eval_takes_a_trained_model_file_as_its_method()
    {
        string model = Train("denoise", "dncnn", "depth=3,features=8");
        var data = Directory.CreateDirectory(dir["eval"]).FullName;
        TestFiles.WritePng(Path.Combine(data, "a.png"), 32, 32);
        var r = CliRunner.Run("eval", "--data", data, "--task", "denoise", "--sigma", "15", "--method", model, "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.True(r.Json.GetProperty("psnr").GetDouble() > 0);
    }

    [Fact]
    public void Upscale_runs_a_trained_sr_network_and_tiles_give_the_same_pixels()
    {
        string model = Train("sr", "edsr", "features=8,blocks=1", "--scale", "2");
        ImageFile.Save(TestFiles.Pattern(70, 52, PixelLayout.Rgba), dir["in.png"]);
        var whole = CliRunner.Run("upscale", dir["in.png"], "-o", dir["whole.png"], "--model", model, "--json");
        Assert.True(whole.ExitCode == 0, whole.Stderr);
        Assert.Equal(2, whole.Json.GetProperty("scale").GetInt32());
        var tiled = CliRunner.Run("upscale", dir["in.png"], "-o", dir["tiled.png"], "--model", model, "--tile", "16");
        Assert.True(tiled.ExitCode == 0, tiled.Stderr);
        var a = ImageFile.Load(dir["whole.png"]);
        var b = ImageFile.Load(dir["tiled.png"]);
        Assert.Equal((140, 104, PixelLayout.Rgba), (a.Width, a.Height, a.Layout));
        int worst = a.Data.Zip(b.Data, (x, y) => Math.Abs(Image.ToCode(x, 255) - Image.ToCode(y, 255))).Max();
        Assert.True(worst <= 1, $"tiles differ by {worst} levels");

        var wrongScale = CliRunner.Run("upscale", dir["in.png"], "-o", dir["x4.png"], "--model", model, "--scale", "4");
        Assert.Equal(1, wrongScale.ExitCode);
        Assert.Contains("enlarges x2", wrongScale.Stderr);

        var bench = CliRunner.Run("bench", "model", model, "--size", "16", "--repeat", "1", "--json");
        Assert.True(bench.ExitCode == 0, bench.Stderr);
        Assert.True(bench.Json.GetProperty("seconds").GetDouble() > 0);
    }

    [Fact]
    public void Upscale_refuses_a_model_trained_for_another_task()
    {
        string model = Train("deblur", "dncnn", "depth=3,features=8");
        TestFiles.WritePng(dir["in.png"], 40, 30);
        var r = CliRunner.Run("upscale", dir["in.png"], "-o", dir["out.png"], "--model", model);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("deblur model", r.Stderr);
        Assert.False(File.Exists(dir["out.png"]));
    }

    [Fact]
    public void Eval_blind_tells_a_noise_level_denoiser_the_estimate_instead_of_the_true_sigma()
    {
        string model = Train("denoise", "ffdnet", "depth=3,features=8");
        var data = Directory.CreateDirectory(dir["eval-blind"]).FullName;
        TestFiles.WritePng(Path.Combine(data, "a.png"), 48, 40);
        double Psnr(params string[] extra)
        {
            var r = CliRunner.Run(["eval", "--data", data, "--task", "denoise", "--sigma", "40", "--method", model, "--json", .. extra]);
            Assert.True(r.ExitCode == 0, r.Stderr);
            return r.Json.GetProperty("psnr").GetDouble();
        }
        Assert.NotEqual(Psnr(), Psnr("--blind"));
    }
}
