using System.Globalization;
using System.Text.Json;
using Restora.Core;
using Restora.Core.Nn;
using Restora.Core.Optim;
using Restora.Imaging;
using Restora.Models;
using Restora.Models.Toolchain;

namespace Restora.Training.Toolchain;

/// <summary>What `restora train-agent` was asked for.</summary>
public sealed record AgentTrainingOptions
{
    public required string Data { get; init; }
    public required string Output { get; init; }
    /// <summary>Tool names in action order; looked up in <see cref="ToolsFolder"/> first, then among the shipped models.</summary>
    public IReadOnlyList<string> Tools { get; init; } = Toolbox.StandardNames;
    public string? ToolsFolder { get; init; }
    public int Holdout { get; init; } = 8;
    public QLearningConfig Learning { get; init; } = new();
    /// <summary>The mixed task's parameters for the training patches (default: the moderate level, the paper's mix).</summary>
    public TaskParameters? Level { get; init; }
    public int ValEvery { get; init; } = 2000;
    public int ValPatches { get; init; } = 256;
    public int CheckpointEvery { get; init; } = 2000;
    public int LogEvery { get; init; } = 100;
    /// <summary>Joint training (the paper's, not in its released code): iterations of fine-tuning each tool on the
    /// patches the trained agent hands it, against their clean originals. 0: none.</summary>
    public int TuneIters { get; init; }
    /// <summary>Training patches the agent is run on to collect each tool's inputs for the joint training.</summary>
    public int TunePatches { get; init; } = 4096;
    public double TuneLearningRate { get; init; } = 1e-4;
    public string Command { get; init; } = "";
}

/// <summary>
/// Trains an agent (<see cref="QLearner"/> on <see cref="PatchEnvironment"/>) with JSON-lines logs, validation on
/// patches of held-out images, checkpoints, resume, and optionally the joint fine-tuning of its tools; writes the
/// agent (and the tuned tools beside it).
/// </summary>
public static class AgentTrainingRun
{
    /// <summary>The checkpoint beside a model.</summary>
    public static string CheckpointPath(string model) => model + ".ckpt.safetensors";

    /// <summary>Runs (or resumes, when the checkpoint exists) until the configured steps; <paramref name="progress"/>
    /// gets (step, steps, a short status line). Returns the last validation (input PSNR, output PSNR, mean tools).</summary>
    public static (double Input, double Output, double Steps) Run(AgentTrainingOptions o, Action<long, long, string>? progress = null, CancellationToken cancel = default)
    {
        var (train, val) = CleanImages.Split(CleanImages.ListFiles(o.Data), o.Holdout);
        var toolbox = Toolbox.Open(o.Tools, o.ToolsFolder);
        var level = o.Level ?? TaskRegistry.Get("mixed").Complete(TaskParameters.Empty, training: true);
        var env = new PatchEnvironment(Load(train), toolbox.Tools, level);
        var valEnv = val.Count > 0 ? new PatchEnvironment(Load(val), toolbox.Tools, level) : env;
        var valRng = SeededRandom.ForStream(o.Learning.Seed ^ 0x5641UL, 0);
        var valPatches = Enumerable.Range(0, o.ValPatches).Select(_ => valEnv.Sample(valRng)).ToList();

        var agent = new AgentNetwork(3, toolbox.Tools.Count, rng: new Random((int)(o.Learning.Seed % int.MaxValue)));
        var learner = new QLearner(agent, env, o.Learning);
        string checkpoint = CheckpointPath(o.Output);
        string command = o.Command;
        if (File.Exists(checkpoint))
        {
            var meta = learner.LoadCheckpoint(checkpoint);
            if (meta.TryGetValue("command", out var c) && c.Length > 0) command = c + " && " + o.Command;
        }
        using var log = new TrainingLog(o.Output + ".log.jsonl");
        var rewards = new Queue<(float Reward, int Tools)>();
        double loss = double.NaN;
        learner.EpisodeEnded = (r, t) => { rewards.Enqueue((r, t)); if (rewards.Count > 500) rewards.Dequeue(); };
        learner.Updated = l => loss = double.IsNaN(loss) ? l : 0.98 * loss + 0.02 * l;
        (double Input, double Output, double Steps) last = (double.NaN, double.NaN, double.NaN);
        long total = o.Learning.Steps;

        void Validate(long step)
        {
            last = valEnv.Evaluate(agent, valPatches, o.Learning.MaxSteps);
            log.Write("val", (int)step, w =>
            {
                w.WriteFinite("input_psnr", last.Input, 4);
                w.WriteFinite("psnr", last.Output, 4);
                w.WriteFinite("gain", last.Output - last.Input, 4);
                w.WriteFinite("mean_steps", last.Steps, 3);
            });
        }

        void Save(long step)
        {
            var extra = new Dictionary<string, string>
            {
                ["val_psnr_gain"] = (last.Output - last.Input).ToString("0.####", CultureInfo.InvariantCulture),
                ["val_mean_steps"] = last.Steps.ToString("0.###", CultureInfo.InvariantCulture),
                ["level"] = JsonSerializer.Serialize(level.All.ToDictionary(kv => kv.Key, kv => kv.Value.ToString())),
            };
            if (o.ToolsFolder is not null) extra["tools_dir"] = Path.GetFullPath(o.ToolsFolder);
            Core.Serialization.AtomicFile.Write(o.Output, temp => AgentModel.Save(temp, agent,
                new AgentModel.Info(toolbox.Tools.Select(t => t.Name).ToList(), 3, agent.Hidden, o.Learning.MaxSteps, step, command, extra)));
            learner.SaveCheckpoint(checkpoint, new Dictionary<string, string> { ["command"] = command });
        }

        learner.Run(total, step =>
        {
            if (step % o.LogEvery == 0)
            {
                double reward = rewards.Count > 0 ? rewards.Average(r => r.Reward) : double.NaN;
                double tools = rewards.Count > 0 ? rewards.Average(r => r.Tools) : double.NaN;
                double eps = o.Learning.Epsilon(step);
                log.Write("train", (int)step, w =>
                {
                    w.WriteFinite("loss", loss, 6);
                    w.WriteFinite("episode_reward", reward, 4);
                    w.WriteFinite("episode_tools", tools, 3);
                    w.WriteFinite("epsilon", eps, 4);
                    w.WriteNumber("episodes", learner.Episodes);
                });
                progress?.Invoke(step, total, FormattableString.Invariant($"reward {reward:0.000} dB tools {tools:0.00} eps {eps:0.00} loss {loss:0.0000}") +
                    (double.IsNaN(last.Output) ? "" : FormattableString.Invariant($" val +{last.Output - last.Input:0.00} dB")));
            }
            bool stop = cancel.IsCancellationRequested;
            if (step % o.ValEvery == 0 || step == total) Validate(step);
            if (step % o.CheckpointEvery == 0 || step == total || stop) Save(step);
            return !stop;
        });
        if (learner.Step < total) return last;   // cancelled: checkpointed above

        if (o.TuneIters > 0 && !cancel.IsCancellationRequested)
        {
            TuneTools(o, agent, env, valEnv, valPatches, toolbox, log, progress);
            Validate(learner.Step);
            Save(learner.Step);
        }
        return last;
    }

    /// <summary>
    /// The joint training (the paper's; not in its released code): the agent restores fresh training patches greedily,
    /// and each chain it chose is then trained end to end — the patch through every tool of the chain in order, the L1
    /// loss of the chain's final output against the clean patch, the gradient back through all of them — so the tools
    /// learn to work together on what the agent really hands them (partly restored images, the other damages still in)
    /// instead of each undoing its synthetic band alone. Chains are drawn in proportion to how often the agent chose
    /// them. Full restorers run through the pipeline keep their weights. The tuned tools are kept only if the greedy
    /// policy then restores the validation patches better; otherwise the tools are put back and the log says so.
    /// </summary>
    static void TuneTools(AgentTrainingOptions o, AgentNetwork agent, PatchEnvironment env, PatchEnvironment valEnv,
        IReadOnlyList<(float[] Input, float[] Clean)> valPatches, Toolbox toolbox, TrainingLog log, Action<long, long, string>? progress)
    {
        var rng = SeededRandom.ForStream(o.Learning.Seed ^ 0x4a4fUL, 0);
        var patches = Enumerable.Range(0, o.TunePatches).Select(_ => env.Sample(rng)).ToList();
        var chains = new List<int>[patches.Count];
        env.Evaluate(agent, patches, o.Learning.MaxSteps, chains: chains);
        var groups = Enumerable.Range(0, patches.Count)
            .Where(i => chains[i].Count > 0 && chains[i].All(t => toolbox.Tools[t].TakesPatches))
            .GroupBy(i => string.Join(",", chains[i])).Select(g => g.ToList()).ToList();
        var flat = groups.SelectMany((g, k) => g.Select(_ => k)).ToList();
        log.Write("tune", 0, w => { w.WriteNumber("patches", flat.Count); w.WriteNumber("chains", groups.Count); });
        if (flat.Count == 0) return;

        var before = valEnv.Evaluate(agent, valPatches, o.Learning.MaxSteps);
        var saved = toolbox.Tools.Select(t => t.Module.StateDict().ToDictionary(kv => kv.Key, kv => Tensor.FromArray(kv.Value.ReadOnlySpan, [.. kv.Value.Shape]))).ToList();
        var adams = toolbox.Tools.Select(t => t.TakesPatches ? new Adam(t.Module.Parameters(), o.TuneLearningRate) : null).ToList();
        var used = new int[toolbox.Tools.Count];
        int size = AgentNetwork.CropSize, len = patches[0].Input.Length, channels = len / (size * size);
        double running = double.NaN;
        for (int it = 1; it <= o.TuneIters; it++)
        {
            var group = groups[flat[rng.NextInt(flat.Count)]];
            var chain = chains[group[0]];
            int n = Math.Min(16, group.Count);
            var x = Tensor.Empty(n, channels, size, size);
            var y = Tensor.Empty(n, channels, size, size);
            for (int i = 0; i < n; i++)
            {
                var (input, clean) = patches[group[rng.NextInt(group.Count)]];
                input.CopyTo(x.Span.Slice(i * len, len));
                clean.CopyTo(y.Span.Slice(i * len, len));
            }
            foreach (var t in toolbox.Tools) { t.Module.Train(); t.Module.ZeroGrad(); }
            var output = x;
            foreach (int t in chain) output = toolbox.Tools[t].Module.Forward(output);
            var loss = F.L1Loss(output, y);
            loss.Backward();
            foreach (int t in chain.Distinct()) { adams[t]!.Step(); used[t]++; }
            running = double.IsNaN(running) ? loss.Item() : 0.98 * running + 0.02 * loss.Item();
            if (it % 50 == 0) progress?.Invoke(it, o.TuneIters, FormattableString.Invariant($"joint training of the chains ({groups.Count} chains, {flat.Count} patches) loss {running:0.00000}"));
        }
        foreach (var t in toolbox.Tools) t.Module.Eval();

        var after = valEnv.Evaluate(agent, valPatches, o.Learning.MaxSteps);
        bool better = after.Output > before.Output;
        log.Write("tune", o.TuneIters, w =>
        {
            w.WriteFinite("loss", running, 6);
            w.WriteFinite("psnr_before", before.Output, 4);
            w.WriteFinite("psnr_after", after.Output, 4);
            w.WriteBoolean("kept", better);
        });
        if (!better)
        {
            for (int t = 0; t < toolbox.Tools.Count; t++) toolbox.Tools[t].Module.LoadStateDict(saved[t]);
            return;
        }
        string folder = Path.GetDirectoryName(Path.GetFullPath(o.Output))!;
        for (int t = 0; t < toolbox.Tools.Count; t++)
        {
            var tool = toolbox.Tools[t];
            if (used[t] == 0) continue;
            var meta = tool.Restorer.Metadata ?? throw new InvalidOperationException($"{tool.Name} has no metadata to save with");
            var tuned = meta with
            {
                Iterations = meta.Iterations + used[t],
                Command = meta.Command + FormattableString.Invariant(
                    $" && joint training with {Path.GetFileName(o.Output)}: {used[t]} steps in its chains (of {o.TuneIters}, {o.TunePatches} patches), lr {o.TuneLearningRate}"),
            };
            TrainedModel.Save(Path.Combine(folder, tool.Name + ".safetensors"), tool.Module, tuned);
        }
    }

    static List<Image> Load(IReadOnlyList<string> files) =>
        files.Select(f => CleanImages.ToNetworkColor(ImageFile.Load(f), 3)).ToList();
}
