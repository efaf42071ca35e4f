using System.Diagnostics;
using Restora.Imaging;

namespace Restora.Cli.Tests;

/// <summary>
/// Folder runs split over processes with --shard I/N or --shards N and the scheduler's index (Kubernetes Indexed Jobs,
/// Slurm arrays): every file done by exactly one shard, the same bytes as one run, and a killed shard resumable.
/// </summary>
public class ShardTests
{
    /// <summary>No scheduler variables from the machine running the tests.</summary>
    static readonly Dictionary<string, string?> NoScheduler = new()
    {
        ["JOB_COMPLETION_INDEX"] = null, ["SLURM_ARRAY_TASK_ID"] = null, ["SLURM_ARRAY_TASK_MIN"] = null, ["SLURM_ARRAY_TASK_COUNT"] = null,
    };

    static Dictionary<string, string?> With(params (string Name, string Value)[] vars)
    {
        var env = new Dictionary<string, string?>(NoScheduler);
        foreach (var (name, value) in vars) env[name] = value;
        return env;
    }

    /// <summary>12 different images (each its own size), so equal bytes mean the same file was made.</summary>
    static void WriteInputs(string folder, int count = 12, int size = 40)
    {
        Directory.CreateDirectory(folder);
        for (int i = 0; i < count; i++) TestFiles.WritePng(Path.Combine(folder, $"img{i:D2}.png"), size + 3 * i, size * 3 / 4 + 2 * i);
    }

    [Fact]
    public void Three_concurrent_shards_make_the_same_files_as_one_run_each_file_once()
    {
        using var dir = new TempDir();
        WriteInputs(dir["in"]);
        string[] args = ["resize", dir["in"], "--scale", "0.5", "--json"];
        // One shard per way of naming it: the option, Kubernetes' index, and a 1-based Slurm array.
        var envs = new[]
        {
            (Env: NoScheduler, Extra: new[] { "--shard", "0/3" }),
            (Env: With(("JOB_COMPLETION_INDEX", "1")), Extra: new[] { "--shards", "3" }),
            (Env: With(("SLURM_ARRAY_TASK_ID", "3"), ("SLURM_ARRAY_TASK_MIN", "1"), ("SLURM_ARRAY_TASK_COUNT", "3")), Extra: new[] { "--shards", "3" }),
        };
        var runs = envs.Select(e => Task.Run(() => CliRunner.RunWith(e.Env, [.. args, "-o", dir["sharded"], .. e.Extra]))).ToArray();
        var whole = CliRunner.RunWith(NoScheduler, [.. args, "-o", dir["whole"]]);
        Task.WaitAll(runs);

        Assert.True(whole.ExitCode == 0, whole.Stderr);
        var byShard = new List<HashSet<string>>();
        foreach (var run in runs.Select(r => r.Result))
        {
            Assert.True(run.ExitCode == 0, run.Stderr);
            Assert.Equal(0, run.Json.GetProperty("skipped").GetInt32());
            Assert.Equal(0, run.Json.GetProperty("failed").GetInt32());
            byShard.Add(run.Json.GetProperty("files").EnumerateArray().Select(f => Path.GetFileName(f.GetProperty("output").GetString()!)).ToHashSet());
        }
        // Each file in exactly one shard, and every shard got some (12 files over 3 shards by hash).
        Assert.Equal(12, byShard.Sum(s => s.Count));
        Assert.Equal(12, byShard.SelectMany(s => s).Distinct().Count());
        Assert.All(byShard, s => Assert.NotEmpty(s));

        var sharded = Directory.GetFiles(dir["sharded"]).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray();
        var single = Directory.GetFiles(dir["whole"]).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(single, sharded);
        foreach (var name in single)
            Assert.Equal(File.ReadAllBytes(Path.Combine(dir["whole"], name!)), File.ReadAllBytes(Path.Combine(dir["sharded"], name!)));
    }

    [Fact]
    public void A_killed_shard_rerun_finishes_its_files_without_redoing_any()
    {
        using var dir = new TempDir();
        WriteInputs(dir["in"], 12, 400);
        Directory.CreateDirectory(dir["out"]);
        // Slow enough per file (4x Lanczos, a large PNG to compress) that the kill lands mid-shard.
        string[] args = ["resize", dir["in"], "-o", dir["out"], "--scale", "4", "--method", "lanczos3", "--shard", "1/2"];
        var mine = CliRunner.RunWith(NoScheduler, ["resize", dir["in"], "-o", dir["plan"], "--scale", "0.1", "--shard", "1/2", "--json"])
            .Json.GetProperty("files").EnumerateArray().Select(f => Path.GetFileName(f.GetProperty("output").GetString()!)).ToHashSet();
        Assert.InRange(mine.Count, 2, 11);

        using (var first = CliRunner.Start(NoScheduler, args))
            CliRunner.KillWhen(first, () => Outputs(dir["out"]).Length > 0);
        var before = Outputs(dir["out"]).ToDictionary(Path.GetFileName, File.ReadAllBytes);
        Assert.InRange(before.Count, 1, mine.Count - 1);
        var marked = new DateTime(2001, 2, 3, 4, 5, 6, DateTimeKind.Utc);
        foreach (var name in before.Keys) File.SetLastWriteTimeUtc(Path.Combine(dir["out"], name!), marked);

        var rerun = CliRunner.RunWith(NoScheduler, [.. args, "--json"]);
        Assert.True(rerun.ExitCode == 0, rerun.Stderr);
        Assert.Equal(before.Count, rerun.Json.GetProperty("skipped").GetInt32());
        Assert.Equal(mine.Count - before.Count, rerun.Json.GetProperty("processed").GetInt32());
        Assert.Equal(mine.Order(StringComparer.Ordinal), Outputs(dir["out"]).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        foreach (var (name, bytes) in before)
        {
            Assert.Equal(bytes, File.ReadAllBytes(Path.Combine(dir["out"], name!)));
            Assert.Equal(marked, File.GetLastWriteTimeUtc(Path.Combine(dir["out"], name!))); // not written again
        }
    }

    [Theory]
    [InlineData("--shard", "3/3", null, "the shard index must lie in 0..2, got 3")]
    [InlineData("--shard", "1/0", null, "the shard count must be positive")]
    [InlineData("--shard", "x", null, "--shard needs I/N")]
    [InlineData("--shard", "-1/3", null, "--shard needs I/N")]
    [InlineData("--shards", "0", null, "--shards needs a positive whole number, got '0'")]
    [InlineData("--shards", "3", null, "needs the shard index in JOB_COMPLETION_INDEX")]
    [InlineData("--shards", "3", "JOB_COMPLETION_INDEX=5", "the shard index must lie in 0..2, got 5")]
    [InlineData("--shards", "3", "SLURM_ARRAY_TASK_COUNT=4", "SLURM_ARRAY_TASK_COUNT=4")]
    public void Bad_shard_values_are_one_line_errors(string option, string value, string? variable, string expected)
    {
        using var dir = new TempDir();
        WriteInputs(dir["in"], 2);
        var env = new Dictionary<string, string?>(NoScheduler);
        if (variable is not null)
        {
            var (name, v) = (variable.Split('=')[0], variable.Split('=')[1]);
            env[name] = v;
            if (name.StartsWith("SLURM")) env["SLURM_ARRAY_TASK_ID"] = "0";
        }
        var r = CliRunner.RunWith(env, "resize", dir["in"], "-o", dir["out"], "--scale", "0.5", option, value);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains(expected, r.Stderr);
        Assert.Single(r.Stderr.TrimEnd('\n').Split('\n'));
        Assert.StartsWith("restora: resize: ", r.Stderr);
        Assert.False(Directory.Exists(dir["out"]));
    }

    [Fact]
    public void Shard_and_shards_together_are_refused_and_every_batch_command_lists_them()
    {
        using var dir = new TempDir();
        WriteInputs(dir["in"], 2);
        var r = CliRunner.RunWith(NoScheduler, "resize", dir["in"], "-o", dir["out"], "--scale", "0.5", "--shard", "0/2", "--shards", "2");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("restora: resize: give --shard I/N or --shards N, not both\n", r.Stderr);
        foreach (var command in new[] { "resize", "degrade", "upscale", "denoise", "deblock", "deblur" })
        {
            var help = CliRunner.Run(command, "--help");
            Assert.Contains("--shard", help.Stdout);
            Assert.Contains("--shards", help.Stdout);
        }
    }

    static string[] Outputs(string folder) =>
        Directory.Exists(folder) ? Directory.GetFiles(folder, "*.png").Order(StringComparer.Ordinal).ToArray() : [];
}
