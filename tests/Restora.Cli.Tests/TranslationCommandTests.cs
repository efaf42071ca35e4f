namespace Restora.Cli.Tests;

/// <summary>
/// Paired training (pix2pix) and the commands that run its models, end to end on tiny images: `train --task paired`
/// with a GAN, `translate`, `eval --task paired`, the pairing errors, and `train --task colorize` + `colorize`.
/// </summary>
public sealed class TranslationCommandTests : IDisposable
{
    readonly string dir = Path.Combine(Path.GetTempPath(), $"restora-cli-paired-{Guid.NewGuid():N}");
    readonly string inputs, targets;

    public TranslationCommandTests()
    {
        inputs = Directory.CreateDirectory(Path.Combine(dir, "in")).FullName;
        targets = Directory.CreateDirectory(Path.Combine(dir, "out")).FullName;
        for (int i = 0; i < 3; i++)
        {
            TestFiles.WritePng(Path.Combine(targets, $"p{i}.png"), 48 + 16 * i, 48);
            // The input is a darker copy: a mapping the network can learn.
            var target = Restora.Imaging.ImageFile.Load(Path.Combine(targets, $"p{i}.png"));
            for (int k = 0; k < target.Data.Length; k++) target.Data[k] *= 0.5f;
            Restora.Imaging.ImageFile.Save(target.Quantize(), Path.Combine(inputs, $"p{i}.png"));
        }
    }

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void APairedGanModelTrainsTranslatesAndIsScoredAgainstItsTargets()
    {
        string model = Path.Combine(dir, "pix.safetensors");
        var train = CliRunner.Run("train", "--task", "paired", "--arch", "pix2pix-unet", "--arch-options", "features=4,depth=5",
            "--data", $"{inputs}:{targets}", "-o", model, "--patch", "32", "--batch", "2", "--iters", "6", "--gan", "vanilla", "--disc", "patchgan",
            "--disc-options", "features=4,layers=2", "--conditional", "--pixel-weight", "100", "--pretrain-iters", "2", "--critic-iters", "2", "--json");
        Assert.True(train.ExitCode == 0, train.Stderr);
        Assert.Equal(6, train.Json.GetProperty("iterations").GetInt32());

        string output = Path.Combine(dir, "t.png");
        var run = CliRunner.Run("translate", Path.Combine(inputs, "p1.png"), "-o", output, "--model", model);
        Assert.True(run.ExitCode == 0, run.Stderr);
        var translated = Restora.Imaging.ImageFile.Load(output);
        Assert.Equal((64, 48), (translated.Width, translated.Height));

        var eval = CliRunner.Run("eval", "--task", "paired", "--data", $"{inputs}:{targets}", "--method", model, "--json");
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        Assert.Equal(3, eval.Json.GetProperty("images").GetArrayLength());
        // The floor is the input itself, scored against the target.
        var floor = CliRunner.Run("eval", "--task", "paired", "--data", $"{inputs}:{targets}", "--json");
        Assert.Equal(floor.Json.GetProperty("psnr").GetDouble(), eval.Json.GetProperty("input_psnr").GetDouble(), 6);
    }

    [Fact]
    public void AMissingPartnerOrASizeMismatchNamesTheFile()
    {
        TestFiles.WritePng(Path.Combine(targets, "lonely.png"), 48, 48);
        var r = CliRunner.Run("eval", "--task", "paired", "--data", $"{inputs}:{targets}");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("lonely.png: no input named lonely", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);

        File.Delete(Path.Combine(targets, "lonely.png"));
        File.Delete(Path.Combine(inputs, "p0.png"));
        TestFiles.WritePng(Path.Combine(inputs, "p0.png"), 40, 40);
        r = CliRunner.Run("train", "--task", "paired", "--arch", "pix2pix-unet", "--arch-options", "features=4,depth=5",
            "--data", $"{inputs}:{targets}", "-o", Path.Combine(dir, "x.safetensors"), "--patch", "32", "--iters", "2");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("p0.png: 40x40, but its target p0.png is 48x48", r.Stderr);

        r = CliRunner.Run("eval", "--task", "paired", "--data", inputs);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("INPUTS_DIR:TARGETS_DIR", r.Stderr);
    }

    [Fact]
    public void AColorizerTrainsFromColourPhotosAndColorizesKeepingLuminance()
    {
        string model = Path.Combine(dir, "color.safetensors");
        var train = CliRunner.Run("train", "--task", "colorize", "--arch", "pix2pix-unet", "--arch-options", "features=4,depth=5",
            "--data", targets, "-o", model, "--patch", "32", "--batch", "2", "--iters", "4", "--json");
        Assert.True(train.ExitCode == 0, train.Stderr);
        var meta = Restora.Models.TrainedModel.ReadMetadata(model);
        Assert.Equal("true", meta.ArchOptions["keep_luminance"]);
        Assert.Equal("1", meta.ArchOptions["channels"]);

        string output = Path.Combine(dir, "c.png");
        var run = CliRunner.Run("colorize", Path.Combine(targets, "p2.png"), "-o", output, "--model", model);
        Assert.True(run.ExitCode == 0, run.Stderr);
        var source = Restora.Imaging.ImageFile.Load(Path.Combine(targets, "p2.png"));
        var colored = Restora.Imaging.ImageFile.Load(output);
        var y0 = Restora.Imaging.Color.Luminance(source);
        var y1 = Restora.Imaging.Color.Luminance(colored);
        for (int i = 0; i < y0.PixelCount; i++) Assert.True(Math.Abs(y0.Data[i] - y1.Data[i]) * 255 <= 1.001, $"pixel {i}");

        // A network trained for another task is refused by name.
        var wrong = CliRunner.Run("translate", output, "-o", Path.Combine(dir, "w.png"), "--model", model);
        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains("is a colorize model", wrong.Stderr);
    }

    [Fact]
    public void AdversarialOptionsAreCheckedBeforeTraining()
    {
        var r = CliRunner.Run("train", "--task", "sr", "--arch", "edsr", "--data", targets, "-o", Path.Combine(dir, "g.safetensors"),
            "--gan", "ragan", "--disc", "vgg128", "--patch", "64");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("use --patch 128", r.Stderr);
        r = CliRunner.Run("train", "--task", "sr", "--arch", "edsr", "--data", targets, "-o", Path.Combine(dir, "g.safetensors"),
            "--gan", "wgan");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("ragan", r.Stderr);
        r = CliRunner.Run("train", "--task", "sr", "--arch", "edsr", "--data", targets, "-o", Path.Combine(dir, "g.safetensors"),
            "--gan", "hinge", "--conditional");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("conditional", r.Stderr);
    }
}
