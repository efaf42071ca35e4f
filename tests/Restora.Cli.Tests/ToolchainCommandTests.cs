using System.Text.Json;

namespace Restora.Cli.Tests;

/// <summary>
/// Issue 12 end to end on tiny data: `degrade --mixed` makes exactly the inputs `eval --task mixed` scores; tools are
/// trained with `train --task mixed --level custom`; `train-agent` learns over them (and fine-tunes them jointly);
/// `auto` and `eval --method` run the agent and name its chains and their GFLOPs; bad input is one line.
/// </summary>
public sealed class ToolchainCommandTests : IDisposable
{
    readonly string dir = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"restora-cli-toolchain-{Guid.NewGuid():N}")).FullName;
    readonly string clean;

    public ToolchainCommandTests()
    {
        clean = Directory.CreateDirectory(Path.Combine(dir, "clean")).FullName;
        for (int i = 0; i < 3; i++) TestFiles.WritePng(Path.Combine(clean, $"c{i}.png"), 100 + 10 * i, 96);
    }

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void DegradeMixedMakesTheInputsEvalScores()
    {
        string damaged = Path.Combine(dir, "damaged");
        var degrade = CliRunner.Run("degrade", clean, "-o", damaged, "--mixed", "severe", "--seed", "3");
        Assert.True(degrade.ExitCode == 0, degrade.Stderr);
        var eval = CliRunner.Run("eval", "--data", clean, "--task", "mixed", "--level", "severe", "--seed", "3", "--json");
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        foreach (var image in eval.Json.GetProperty("images").EnumerateArray())
        {
            string name = image.GetProperty("name").GetString()!;
            var metrics = CliRunner.Run("metrics", Path.Combine(clean, name), Path.Combine(damaged, name), "--json");
            Assert.Equal(image.GetProperty("input_psnr").GetDouble(), metrics.Json.GetProperty("psnr").GetDouble(), 3);
        }
    }

    [Theory]
    [InlineData("degrade", "--mixed", "extreme")]
    [InlineData("degrade", "--mixed", "mild", "--blur", "2")]
    [InlineData("eval", "--task", "mixed", "--level", "moderate", "--sigma", "10")]
    [InlineData("eval", "--task", "mixed", "--level", "loud")]
    public void ConflictingOrUnknownMixedOptionsAreOneLine(params string[] args)
    {
        var full = args[0] == "degrade"
            ? new[] { "degrade", Path.Combine(clean, "c0.png"), "-o", Path.Combine(dir, "x.png") }.Concat(args.Skip(1)).ToArray()
            : args.Concat(["--data", clean]).ToArray();
        var r = CliRunner.Run(full);
        Assert.Equal(1, r.ExitCode);
        Assert.Single(r.Stderr.Trim().Split('\n'));
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    [Fact]
    public void ToolsAndAnAgentTrainAndAutoNamesItsChainAndItsCost()
    {
        string tools = Directory.CreateDirectory(Path.Combine(dir, "tools")).FullName;
        foreach (var (name, strengths) in new[] { ("t-noise", new[] { "--sigma-range", "5,30" }), ("t-jpeg", new[] { "--quality-range", "20,60" }) })
        {
            var train = CliRunner.Run(["train", "--task", "mixed", "--level", "custom", .. strengths, "--arch", "rl-tool", "--data", clean,
                "-o", Path.Combine(tools, name + ".safetensors"), "--patch", "63", "--batch", "2", "--iters", "3", "--threads", "1"]);
            Assert.True(train.ExitCode == 0, train.Stderr);
        }
        string agent = Path.Combine(dir, "agent", "a.safetensors");
        var learn = CliRunner.Run("train-agent", "--data", clean, "--holdout", "1", "--tools", "t-noise,t-jpeg", "--tools-dir", tools, "-o", agent,
            "--steps", "40", "--warmup", "10", "--batch", "4", "--val-every", "20", "--val-patches", "4", "--checkpoint-every", "20",
            "--tune-iters", "2", "--tune-patches", "16", "--threads", "1");
        Assert.True(learn.ExitCode == 0, learn.Stderr);
        Assert.Contains("validation", learn.Stderr);
        Assert.True(File.Exists(agent + ".ckpt.safetensors"));
        var log = File.ReadAllLines(agent + ".log.jsonl").Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Contains(log, e => e.GetProperty("event").GetString() == "val" && e.TryGetProperty("mean_steps", out _));
        Assert.Contains(log, e => e.GetProperty("event").GetString() == "tune");

        // A resume to more steps continues from the checkpoint.
        var more = CliRunner.Run("train-agent", "--data", clean, "--holdout", "1", "--tools", "t-noise,t-jpeg", "--tools-dir", tools, "-o", agent,
            "--steps", "50", "--warmup", "10", "--batch", "4", "--val-every", "20", "--val-patches", "4", "--checkpoint-every", "20", "--threads", "1");
        Assert.True(more.ExitCode == 0, more.Stderr);
        string damaged = Path.Combine(dir, "d.png"), restored = Path.Combine(dir, "r.png");
        Assert.Equal(0, CliRunner.Run("degrade", Path.Combine(clean, "c1.png"), "-o", damaged, "--mixed", "moderate").ExitCode);
        var auto = CliRunner.Run("auto", damaged, "-o", restored, "--agent", agent, "--json");
        Assert.True(auto.ExitCode == 0, auto.Stderr);
        var file = auto.Json.GetProperty("files")[0];
        var chain = file.GetProperty("chain").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.InRange(chain.Count, 0, 3);
        Assert.All(chain, t => Assert.Contains(t, new[] { "t-noise", "t-jpeg" }));
        Assert.True(file.GetProperty("gflops").GetDouble() > 0);
        Assert.Equal(chain, auto.Json.GetProperty("chain").EnumerateArray().Select(e => e.GetString()).ToList());
        Assert.Equal(file.GetProperty("gflops").GetDouble(), auto.Json.GetProperty("gflops").GetDouble());
        Assert.Contains("restora auto: d.png:", auto.Stderr);
        Assert.True(File.Exists(restored));

        var evalAgent = CliRunner.Run("eval", "--data", clean, "--task", "mixed", "--level", "mild", "--method", agent, "--json");
        Assert.True(evalAgent.ExitCode == 0, evalAgent.Stderr);
        Assert.InRange(evalAgent.Json.GetProperty("mean_steps").GetDouble(), 0, 3);
        Assert.True(evalAgent.Json.GetProperty("mean_gflops").GetDouble() > 0);
        var evalTool = CliRunner.Run("eval", "--data", clean, "--task", "mixed", "--method", Path.Combine(tools, "t-noise.safetensors"), "--json");
        Assert.True(evalTool.ExitCode == 0, evalTool.Stderr);
        Assert.Equal(1, evalTool.Json.GetProperty("mean_steps").GetDouble());
        // 21,776 multiply-adds per pixel, two FLOPs each, over the three images' pixels.
        double pixels = (100 * 96 + 110 * 96 + 120 * 96) / 3.0;
        Assert.Equal(2 * 21776 * pixels / 1e9, evalTool.Json.GetProperty("mean_gflops").GetDouble(), 3);

        var bad = CliRunner.Run("auto", Path.Combine(dir, "agent", "a.safetensors.log.jsonl"), "-o", Path.Combine(dir, "bad.png"), "--agent", agent);
        Assert.Equal(1, bad.ExitCode);
        Assert.Single(bad.Stderr.Trim().Split('\n'));
        var notAgent = CliRunner.Run("auto", damaged, "-o", Path.Combine(dir, "n.png"), "--agent", Path.Combine(tools, "t-noise.safetensors"));
        Assert.Equal(1, notAgent.ExitCode);
        Assert.Contains("not an agent", notAgent.Stderr);
    }
}
