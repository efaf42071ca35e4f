using Restora.Imaging;

namespace Restora.Cli.Tests;

public class CommandTests
{
    [Fact]
    public void Metrics_of_an_image_with_itself_are_perfect()
    {
        using var dir = new TempDir();
        var png = TestFiles.WritePng(dir["a.png"]);
        var r = CliRunner.Run("metrics", png, png, "--metrics", "psnr,ssim", "--json");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, r.Json.GetProperty("psnr").ValueKind); // infinite PSNR
        Assert.Equal(1.0, r.Json.GetProperty("ssim").GetDouble(), 9);
    }

    [Fact]
    public void Metrics_of_a_constant_offset_give_the_known_psnr()
    {
        using var dir = new TempDir();
        var a = TestFiles.Pattern(40, 30);
        var b = a.Clone();
        for (int i = 0; i < b.Data.Length; i++) b.Data[i] += 5 / 255f;
        ImageFile.Save(a, dir["a.png"]);
        ImageFile.Save(b, dir["b.png"]);
        var r = CliRunner.Run("metrics", dir["a.png"], dir["b.png"], "--json");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(20 * Math.Log10(255 / 5.0), r.Json.GetProperty("psnr").GetDouble(), 4);
    }

    [Fact]
    public void Resize_writes_the_requested_size_and_refuses_to_overwrite()
    {
        using var dir = new TempDir();
        var input = TestFiles.WritePng(dir["in.png"], 30, 20);
        var r = CliRunner.Run("resize", input, "-o", dir["out.png"], "--scale", "2.5");
        Assert.Equal(0, r.ExitCode);
        var output = ImageFile.Load(dir["out.png"]);
        Assert.Equal((75, 50), (output.Width, output.Height));

        var again = CliRunner.Run("resize", input, "-o", dir["out.png"], "--width", "10", "--height", "7");
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("exists (use --overwrite)", again.Stderr);
        Assert.Equal(75, ImageFile.Load(dir["out.png"]).Width); // untouched

        var forced = CliRunner.Run("resize", input, "-o", dir["out.png"], "--width", "10", "--height", "7", "--overwrite", "--method", "lanczos3");
        Assert.Equal(0, forced.ExitCode);
        Assert.Equal((10, 7), (ImageFile.Load(dir["out.png"]).Width, ImageFile.Load(dir["out.png"]).Height));
        Assert.Equal(["in.png", "out.png"], Directory.GetFiles(dir.Path).Select(Path.GetFileName).Order()); // no temp files left
    }

    [Fact]
    public void Resize_of_a_folder_skips_non_images_and_reports_every_file()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["in"]);
        TestFiles.WritePng(Path.Combine(dir["in"], "a.png"));
        TestFiles.WritePng(Path.Combine(dir["in"], "b.png"), 16, 16, PixelLayout.Gray);
        File.WriteAllText(Path.Combine(dir["in"], "notes.txt"), "not an image");
        var r = CliRunner.Run("resize", dir["in"], "-o", dir["out"], "--scale", "0.5", "--json");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("skipping", r.Stderr);
        Assert.Contains("notes.txt", r.Stderr);
        Assert.Equal(2, r.Json.GetProperty("processed").GetInt32());
        Assert.Equal(8, ImageFile.Load(Path.Combine(dir["out"], "b.png")).Width);
        Assert.Equal(PixelLayout.Gray, ImageFile.Load(Path.Combine(dir["out"], "b.png")).Layout);
    }

    [Fact]
    public void A_folder_run_keeps_going_past_a_bad_file_and_exits_1()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["in"]);
        TestFiles.WritePng(Path.Combine(dir["in"], "good.png"));
        File.WriteAllBytes(Path.Combine(dir["in"], "bad.png"), [1, 2, 3, 4]);
        var r = CliRunner.Run("resize", dir["in"], "-o", dir["out"], "--scale", "2", "--json");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal(1, r.Json.GetProperty("processed").GetInt32());
        Assert.Equal(1, r.Json.GetProperty("failed").GetInt32());
        Assert.True(File.Exists(Path.Combine(dir["out"], "good.png")));
        Assert.Contains("bad.png", r.Stderr);
    }

    [Fact]
    public void Degrade_is_repeatable_with_a_seed()
    {
        using var dir = new TempDir();
        var input = TestFiles.WritePng(dir["in.png"], 64, 48);
        string[] ops = ["--blur", "1.2", "--downscale", "2", "--noise", "10", "--jpeg", "40", "--seed", "5"];
        Assert.Equal(0, CliRunner.Run(["degrade", input, "-o", dir["a.png"], .. ops]).ExitCode);
        Assert.Equal(0, CliRunner.Run(["degrade", input, "-o", dir["b.png"], .. ops]).ExitCode);
        Assert.Equal(File.ReadAllBytes(dir["a.png"]), File.ReadAllBytes(dir["b.png"]));
        Assert.Equal(32, ImageFile.Load(dir["a.png"]).Width);
        Assert.Equal(0, CliRunner.Run(["degrade", input, "-o", dir["c.png"], .. ops[..^1], "6"]).ExitCode);
        Assert.NotEqual(File.ReadAllBytes(dir["a.png"]), File.ReadAllBytes(dir["c.png"]));
    }

    [Fact]
    public void Eval_reports_per_image_scores_and_a_gain_over_the_input_for_identity()
    {
        using var dir = new TempDir();
        TestFiles.WritePng(dir["x.png"], 48, 48);
        TestFiles.WritePng(dir["y.png"], 40, 36);
        var r = CliRunner.Run("eval", "--data", dir.Path, "--task", "denoise", "--method", "identity", "--sigma", "15", "--json");
        Assert.Equal(0, r.ExitCode);
        var images = r.Json.GetProperty("images");
        Assert.Equal(2, images.GetArrayLength());
        double psnr = r.Json.GetProperty("psnr").GetDouble();
        Assert.InRange(psnr, 20 * Math.Log10(255 / 15.0) - 0.5, 20 * Math.Log10(255 / 15.0) + 0.5); // noise of sigma 15
        Assert.True(r.Json.TryGetProperty("seconds", out _));
    }

    [Theory]
    [InlineData("sr", "identity")]
    [InlineData("denoise", "bicubic")]
    [InlineData("denoise", "no-such-model")]
    public void Eval_refuses_a_method_that_does_not_fit_the_task(string task, string method)
    {
        var r = CliRunner.Run("eval", "--data", ".", "--task", task, "--method", method);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains(method, r.Stderr);
    }

    [Fact]
    public void Unknown_commands_and_options_are_one_line_user_errors()
    {
        var r = CliRunner.Run("frobnicate");
        Assert.Equal(1, r.ExitCode);
        Assert.Single(r.Stderr.Trim().Split('\n'));
        var o = CliRunner.Run("resize", "x.png", "-o", "y.png", "--scael", "2");
        Assert.Equal(1, o.ExitCode);
        Assert.Contains("--scael", o.Stderr);
    }
}
