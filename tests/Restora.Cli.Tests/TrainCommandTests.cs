namespace Restora.Cli.Tests;

/// <summary>`restora train` end to end, on a few tiny images: the files it leaves, its JSON, resume and refusals.</summary>
public sealed class TrainCommandTests : IDisposable
{
    readonly string dir = Path.Combine(Path.GetTempPath(), $"restora-cli-train-{Guid.NewGuid():N}");
    readonly string data, val;

    public TrainCommandTests()
    {
        data = Directory.CreateDirectory(Path.Combine(dir, "data")).FullName;
        val = Directory.CreateDirectory(Path.Combine(dir, "val")).FullName;
        for (int i = 0; i < 3; i++) TestFiles.WritePng(Path.Combine(data, $"t{i}.png"), 48 + 8 * i, 40 + 4 * i);
        TestFiles.WritePng(Path.Combine(val, "v.png"), 32, 32);
    }

    public void Dispose() => Directory.Delete(dir, recursive: true);

    string[] Tiny(string output, int iters) =>
    [
        "train", "--task", "denoise", "--arch", "dncnn", "--arch-options", "depth=3,features=8", "--data", data, "--val", val,
        "-o", output, "--patch", "16", "--batch", "2", "--iters", iters.ToString(), "--checkpoint-every", "4", "--val-every", "4",
        "--sigma-range", "10,30", "--json",
    ];

    [Fact]
    public void TrainWritesModelCheckpointAndLogThenResumesToMoreIterations()
    {
        string model = Path.Combine(dir, "m.safetensors");
        var r = CliRunner.Run(Tiny(model, 8));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(8, r.Json.GetProperty("iterations").GetInt32());
        Assert.True(r.Json.GetProperty("finished").GetBoolean());
        Assert.True(r.Json.GetProperty("val_psnr").GetDouble() > 0);
        Assert.True(File.Exists(model));
        Assert.True(File.Exists(model + ".ckpt.json"));
        Assert.True(File.Exists(model + ".ckpt.safetensors"));
        Assert.True(File.Exists(model + ".log.jsonl"));

        var again = CliRunner.Run(Tiny(model, 8));
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("--resume", again.Stderr);

        var resumed = CliRunner.Run("train", "--resume", model + ".ckpt.json", "--iters", "12", "--json");
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.Equal(12, resumed.Json.GetProperty("iterations").GetInt32());
        Assert.Contains(File.ReadAllLines(model + ".log.jsonl"), l => l.Contains("\"event\":\"resume\""));
        // The model's recipe says how it was really made: the first command, then the resume that lengthened it.
        var recipe = Restora.Models.TrainedModel.ReadMetadata(model).Command;
        Assert.StartsWith("restora train ", recipe);
        Assert.EndsWith("; restora train --resume m.safetensors --iters 12 (resumed at iteration 8)", recipe);
    }

    [Fact]
    public void ResumeRefusesToChangeTheRunsSettings()
    {
        string model = Path.Combine(dir, "r.safetensors");
        Assert.Equal(0, CliRunner.Run(Tiny(model, 4)).ExitCode);
        var r = CliRunner.Run("train", "--resume", model, "--iters", "8", "--lr", "0.1");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("--lr", r.Stderr);
    }

    [Fact]
    public void UnknownArchitectureIsAUserErrorNamingTheKnownOnes()
    {
        var r = CliRunner.Run("train", "--task", "sr", "--arch", "nope", "--data", data, "-o", Path.Combine(dir, "x.safetensors"));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("rrdbnet", r.Stderr);
    }

    [Fact]
    public void BenchmarkReportsSecondsPerIteration()
    {
        var r = CliRunner.Run("train", "--benchmark", "2", "--arch", "dncnn", "--arch-options", "depth=3,features=8", "--patch", "16", "--batch", "2", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.True(r.Json.GetProperty("seconds_per_iteration").GetDouble() > 0);
        Assert.False(r.Json.TryGetProperty("profile", out _));
    }

    [Fact]
    public void BenchmarkProfileTimesEachOpForwardAndBackward()
    {
        var r = CliRunner.Run("train", "--benchmark", "2", "--profile", "--arch", "dncnn", "--arch-options", "depth=3,features=8", "--patch", "16", "--batch", "2", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var ops = r.Json.GetProperty("profile").EnumerateArray().ToDictionary(o => o.GetProperty("op").GetString()!);
        // DnCNN depth 3: three convs and two ReLUs per step, each with a forward and a backward.
        Assert.Equal(3, ops["conv2d"].GetProperty("count").GetInt64());
        Assert.Equal(2, ops["relu"].GetProperty("count").GetInt64());
        Assert.True(ops["conv2d"].GetProperty("forward_ms").GetDouble() > 0);
        Assert.True(ops["conv2d"].GetProperty("backward_ms").GetDouble() > 0);
    }

    [Fact]
    public void SigtermStopsALongRunWithACheckpointThatResumes()
    {
        string model = Path.Combine(dir, "long.safetensors");
        var args = Tiny(model, 1_000_000);
        var psi = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "restora.dll"));
        foreach (var a in args) if (a != "--json") psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var log = model + ".log.jsonl";
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!(File.Exists(log) && File.ReadAllText(log).Contains("\"event\":\"train\"")) && clock.Elapsed < TimeSpan.FromMinutes(2)) Thread.Sleep(100);
        using (var kill = System.Diagnostics.Process.Start("kill", ["-TERM", p.Id.ToString()])) kill.WaitForExit();
        Assert.True(p.WaitForExit(TimeSpan.FromMinutes(2)), "restora did not stop on SIGTERM");
        Assert.True(p.ExitCode == 0, stderr.Result);
        Assert.Contains("--resume", stderr.Result);
        var state = System.Text.Json.JsonDocument.Parse(File.ReadAllText(model + ".ckpt.json")).RootElement;
        int reached = state.GetProperty("iteration").GetInt32();
        Assert.InRange(reached, 1, 999_999);
        var resumed = CliRunner.Run("train", "--resume", model, "--iters", (reached + 2).ToString(), "--json");
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.Equal(reached + 2, resumed.Json.GetProperty("iterations").GetInt32());
    }

    string[] TinySr(string output, int scale, params string[] extra) =>
    [
        "train", "--task", "sr", "--scale", scale.ToString(), "--arch", "edsr", "--arch-options", "features=8,blocks=2", "--data", data,
        "-o", output, "--patch", "16", "--batch", "2", "--iters", "2", "--checkpoint-every", "2", "--val-every", "2", .. extra,
    ];

    [Fact]
    public void InitStartsAnX4NetworkFromAnX2OneWhereNamesAndShapesMatch()
    {
        string x2 = Path.Combine(dir, "x2.safetensors"), x4 = Path.Combine(dir, "x4.safetensors");
        Assert.Equal(0, CliRunner.Run(TinySr(x2, 2)).ExitCode);
        var r = CliRunner.Run(TinySr(x4, 4, "--init", x2, "--iters", "1"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        // EDSR x4 has one more upsampling conv (weight and bias) than x2; everything else carries over.
        var m = System.Text.RegularExpressions.Regex.Match(r.Stderr, @"initialised (\d+) of (\d+) tensors");
        Assert.True(m.Success, r.Stderr);
        Assert.Equal(int.Parse(m.Groups[2].Value) - 2, int.Parse(m.Groups[1].Value));

        string dn = Path.Combine(dir, "dn.safetensors");
        Assert.Equal(0, CliRunner.Run(Tiny(dn, 1)).ExitCode);
        var wrong = CliRunner.Run(TinySr(Path.Combine(dir, "w.safetensors"), 4, "--init", dn));
        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains("no tensor matches", wrong.Stderr);
    }
}
