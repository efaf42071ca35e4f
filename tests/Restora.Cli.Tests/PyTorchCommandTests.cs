using System.IO.Compression;
using System.Text;
using Restora.Imaging;

namespace Restora.Cli.Tests;

/// <summary>PyTorch checkpoints from the command line: run directly, imported once, and hostile ones refused.</summary>
public class PyTorchCommandTests
{
    static string Reference(string file)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Restora.slnx")))
                return Path.Combine(dir.FullName, "tests", "Restora.Models.Tests", "Reference", "PyTorch", file);
        throw new DirectoryNotFoundException("no repository root above " + AppContext.BaseDirectory);
    }

    [Fact]
    public void A_checkpoint_upscales_directly_and_its_import_gives_the_same_pixels()
    {
        using var dir = new TempDir();
        File.Copy(Reference("tiny_srvgg_zip.pth.bin"), dir["tiny.pth"]);
        var input = TestFiles.WritePng(dir["in.png"], 23, 17);
        var direct = CliRunner.Run("upscale", input, "-o", dir["direct.png"], "--model", dir["tiny.pth"], "--json");
        Assert.True(direct.ExitCode == 0, direct.Stderr);
        var imported = CliRunner.Run("models", "import", dir["tiny.pth"], "-o", dir["tiny.safetensors"], "--json");
        Assert.True(imported.ExitCode == 0, imported.Stderr);
        Assert.Equal("srvgg", imported.Json.GetProperty("architecture").GetString());
        var again = CliRunner.Run("models", "import", dir["tiny.pth"], "-o", dir["tiny.safetensors"]);
        Assert.Equal(1, again.ExitCode); // never overwritten without --overwrite
        var viaFile = CliRunner.Run("upscale", input, "-o", dir["imported.png"], "--model", dir["tiny.safetensors"]);
        Assert.True(viaFile.ExitCode == 0, viaFile.Stderr);
        var a = ImageFile.Load(dir["direct.png"]);
        var b = ImageFile.Load(dir["imported.png"]);
        Assert.Equal((46, 34), (a.Width, a.Height));
        Assert.Equal(a.Data, b.Data);
    }

    [Theory]
    [InlineData("os", "system")]
    [InlineData("builtins", "eval")]
    [InlineData("subprocess", "Popen")]
    public void A_checkpoint_naming_any_other_global_is_refused_and_nothing_it_names_runs(string module, string name)
    {
        using var dir = new TempDir();
        string marker = dir["pwned"];
        // cos\nsystem\n(X<len>touch MARKER\ntR. — what torch.load without weights_only would run.
        var pickle = new MemoryStream();
        pickle.Write([0x80, 0x02]);
        pickle.Write(Encoding.ASCII.GetBytes($"c{module}\n{name}\n("));
        var command = Encoding.UTF8.GetBytes($"touch {marker}");
        pickle.WriteByte((byte)'X');
        pickle.Write(BitConverter.GetBytes(command.Length));
        pickle.Write(command);
        pickle.Write("tR."u8);
        string checkpoint = dir["evil.pth"];
        using (var zip = ZipFile.Open(checkpoint, ZipArchiveMode.Create))
        {
            using (var s = zip.CreateEntry("archive/data.pkl").Open()) s.Write(pickle.ToArray());
            using (var s = zip.CreateEntry("archive/byteorder").Open()) s.Write("little"u8);
        }
        var input = TestFiles.WritePng(dir["in.png"], 8, 8);
        foreach (var args in new[]
        {
            new[] { "upscale", input, "-o", dir["out.png"], "--model", checkpoint },
            new[] { "models", "import", checkpoint, "-o", dir["evil.safetensors"] },
        })
        {
            var r = CliRunner.Run(args);
            Assert.Equal(1, r.ExitCode);
            string line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("restora: ") && !l.Contains(" layout"));
            Assert.Contains($"{module}.{name}", line);
            Assert.False(File.Exists(marker), "the checkpoint's command ran");
            Assert.False(File.Exists(dir["out.png"]));
        }
    }
}
