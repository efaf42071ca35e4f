using System.Diagnostics;
using Restora.Imaging;

namespace Restora.Cli.Tests;

/// <summary>Folder runs that are killed, rerun, or meet files they cannot read.</summary>
public class BatchTests
{
    [Fact]
    public void A_folder_run_killed_half_way_finishes_on_rerun_without_doing_any_file_twice()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["in"]);
        Directory.CreateDirectory(dir["out"]);
        const int count = 12;
        for (int i = 0; i < count; i++) TestFiles.WritePng(Path.Combine(dir["in"], $"img{i:D2}.png"), 400, 300);
        // Slow enough per file (4x Lanczos, a 1600x1200 PNG to compress) that the kill lands mid-folder.
        string[] args = ["resize", dir["in"], "-o", dir["out"], "--scale", "4", "--method", "lanczos3"];

        using (var first = CliRunner.Start(args))
            CliRunner.KillWhen(first, () => Outputs(dir["out"]).Length > 0);
        var before = Outputs(dir["out"]).ToDictionary(Path.GetFileName, File.ReadAllBytes);
        Assert.InRange(before.Count, 1, count - 1); // interrupted after some outputs, before the last
        // Resizing is deterministic, so equal bytes alone would not show a file was left alone; a rewrite (a new
        // file renamed into place) would also bring a new modification time.
        var marked = new DateTime(2001, 2, 3, 4, 5, 6, DateTimeKind.Utc);
        foreach (var name in before.Keys) File.SetLastWriteTimeUtc(Path.Combine(dir["out"], name), marked);

        var rerun = CliRunner.Run([.. args, "--json"]);
        Assert.True(rerun.ExitCode == 0, rerun.Stderr);
        Assert.Equal(before.Count, rerun.Json.GetProperty("skipped").GetInt32());
        Assert.Equal(count - before.Count, rerun.Json.GetProperty("processed").GetInt32());
        Assert.Equal(0, rerun.Json.GetProperty("failed").GetInt32());
        foreach (var file in rerun.Json.GetProperty("files").EnumerateArray())
        {
            string name = Path.GetFileName(file.GetProperty("output").GetString()!);
            Assert.Equal(before.ContainsKey(name) ? "skipped" : "done", file.GetProperty("status").GetString());
        }

        var outputs = Outputs(dir["out"]);
        Assert.Equal(count, outputs.Length);
        Assert.Equal(outputs, Directory.GetFiles(dir["out"]).Order(StringComparer.Ordinal)); // the killed run's temp file went with the rerun
        foreach (var output in outputs)
        {
            var image = ImageFile.Load(output); // decodes completely: nothing truncated
            Assert.Equal((1600, 1200), (image.Width, image.Height));
            if (before.TryGetValue(Path.GetFileName(output), out var earlier))
            {
                Assert.Equal(earlier, File.ReadAllBytes(output));
                Assert.Equal(marked, File.GetLastWriteTimeUtc(output)); // not written again
            }
        }
    }

    [Fact]
    public void An_unreadable_file_is_reported_with_its_reason_and_the_rest_are_done()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["in"]);
        foreach (var name in new[] { "a.png", "c.png", "e.png" }) TestFiles.WritePng(Path.Combine(dir["in"], name));
        var jpeg = ImageFile.Encode(TestFiles.Pattern(64, 64), ImageFormat.Jpeg);
        File.WriteAllBytes(Path.Combine(dir["in"], "b.jpg"), jpeg[..(jpeg.Length / 2)]);
        File.WriteAllText(Path.Combine(dir["in"], "d.png"), "this is a text file with an image's name");

        var r = CliRunner.Run("resize", dir["in"], "-o", dir["out"], "--scale", "0.5", "--json");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal(3, r.Json.GetProperty("processed").GetInt32());
        Assert.Equal(2, r.Json.GetProperty("failed").GetInt32());
        var failed = r.Json.GetProperty("files").EnumerateArray().Where(f => f.GetProperty("status").GetString() == "failed")
            .ToDictionary(f => Path.GetFileName(f.GetProperty("input").GetString()!), f => f.GetProperty("error").GetString()!);
        Assert.Contains("truncated JPEG", failed["b.jpg"]);
        Assert.Contains("not an image", failed["d.png"]);
        foreach (var name in new[] { "a.png", "c.png", "e.png" })
            Assert.Equal(16, ImageFile.Load(Path.Combine(dir["out"], name)).Width);

        var summary = r.Stderr.Trim().Split('\n')[^1];
        Assert.StartsWith("restora resize: 3 processed, 0 skipped, 2 failed: ", summary);
        Assert.Contains("b.jpg: truncated JPEG", summary);
        Assert.Contains("d.png: not an image", summary);
    }

    [Fact]
    public void A_damaged_leftover_output_is_done_again_and_complete_ones_are_kept()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["in"]);
        Directory.CreateDirectory(dir["out"]);
        foreach (var name in new[] { "a.png", "b.png", "c.png" }) TestFiles.WritePng(Path.Combine(dir["in"], name), 40, 30);
        var complete = ImageFile.Encode(TestFiles.Pattern(5, 5), ImageFormat.Png);
        File.WriteAllBytes(Path.Combine(dir["out"], "a.png"), complete);
        var truncated = ImageFile.Encode(TestFiles.Pattern(80, 60), ImageFormat.Png);
        File.WriteAllBytes(Path.Combine(dir["out"], "b.png"), truncated[..(truncated.Length * 2 / 3)]);

        var r = CliRunner.Run("resize", dir["in"], "-o", dir["out"], "--scale", "2", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(1, r.Json.GetProperty("skipped").GetInt32());
        Assert.Equal(2, r.Json.GetProperty("processed").GetInt32());
        Assert.Contains("b.png: doing again, the existing file is damaged (truncated PNG", r.Stderr);
        Assert.Equal(complete, File.ReadAllBytes(Path.Combine(dir["out"], "a.png")));
        Assert.Equal(80, ImageFile.Load(Path.Combine(dir["out"], "b.png")).Width);
    }

    /// <summary>Finished outputs only: a killed run may leave its hidden temp file behind (until the next write of that output), never a partial image.</summary>
    static string[] Outputs(string folder) =>
        Directory.GetFiles(folder).Where(f => !Path.GetFileName(f).StartsWith('.')).Order(StringComparer.Ordinal).ToArray();
}
