using Restora.Models;
using Restora.Models.Toolchain;
using Restora.Training.Toolchain;

namespace Restora.Cli.Commands;

/// <summary>
/// restora train-agent --data DIRS -o AGENT [--tools LIST] [--tools-dir DIR] [--steps N] [--tune-iters N] …: trains an
/// RL-Restore agent by deep Q-learning over a toolbox of trained networks, optionally then fine-tunes the tools jointly.
/// </summary>
public sealed class TrainAgentCommand : CliCommand
{
    /// <inheritdoc/>
    public override string Name => "train-agent";
    /// <inheritdoc/>
    public override string Description => "train an RL-Restore agent that chains tools (deep Q-learning on mixed-damage patches), then optionally the tools with it";
    /// <inheritdoc/>
    public override IReadOnlyList<OptionSpec> Options =>
    [
        new("--data", "clean training images: a folder, or several joined with ':'", "DIR"),
        new("-o", "the agent file to write (checkpoint and log beside it; tuned tools too)", "AGENT", "--output"),
        new("--tools", $"tool names or files in action order, comma-separated (default the twelve: {string.Join(",", Toolbox.StandardNames)})", "LIST"),
        new("--tools-dir", "look for the tools here first (NAME.safetensors), e.g. a toolbox training run's folder", "DIR"),
        new("--level", "the mixed damage of the training patches: mild, moderate (default, the paper's mix) or severe", "LEVEL"),
        new("--holdout", "images of --data kept out for validation (default 8)", "N"),
        new("--steps", "environment steps of the whole run (default 20000); with a checkpoint present, continues to this", "N"),
        new("--lr", "Adam's learning rate (default 1e-4)", "X"),
        new("--batch", "transitions per update (default 32)", "N"),
        new("--memory", "transitions the replay memory keeps (default 10000)", "N"),
        new("--warmup", "steps of acting before the first update (default 1000)", "N"),
        new("--epsilon-steps", "steps over which exploration falls from 1 to 0.1 (default half the run)", "N"),
        new("--target-every", "steps between target-network copies (default 1000)", "N"),
        new("--train-every", "steps between updates (default 1)", "N"),
        new("--gamma", "discount (default 0.99)", "X"),
        new("--max-steps", "most tools in a chain (default 3)", "N"),
        new("--val-every", "validate on held-out patches every N steps (default 2000)", "N"),
        new("--val-patches", "validation patches (default 256)", "N"),
        new("--checkpoint-every", "checkpoint every N steps (default 2000); Ctrl+C or SIGTERM checkpoints and stops", "N"),
        new("--tune-iters", "then train each tool N iterations on the patches the agent hands it (the paper's joint training; default 0)", "N"),
        new("--tune-patches", "training patches the agent restores to collect them (default 4096)", "N"),
        new("--tune-lr", "the tools' learning rate in the joint training (default 1e-4)", "X"),
        new("--seed", "seed of the initialisation, the episodes and the validation patches (default 0)", "N"),
    ];

    /// <inheritdoc/>
    public override int Run(Arguments args)
    {
        CommonOptions.From(args);
        string output = args.Require("-o");
        AgentTrainingOptions options;
        try
        {
            var mixed = TaskRegistry.Get("mixed");
            string levelText = args.Get("--level") ?? "moderate";
            if (!MixedTask.LevelNames.Skip(1).Contains(levelText, StringComparer.OrdinalIgnoreCase))
                throw new ArgumentException($"--level takes mild, moderate or severe, got '{levelText}'");
            var level = mixed.Complete(new TaskParameters(new Dictionary<string, StrengthRange>
                { ["level"] = mixed.Parameters[0].Parse(levelText, "--level") }), training: true);
            int steps = args.GetInt("--steps", 20000, 1);
            options = new AgentTrainingOptions
            {
                Data = args.Require("--data"),
                Output = output,
                Tools = args.Get("--tools") is string list ? list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : Toolbox.StandardNames,
                ToolsFolder = args.Get("--tools-dir"),
                Holdout = args.GetInt("--holdout", 8, 0),
                Level = level,
                Learning = new QLearningConfig
                {
                    Steps = steps,
                    LearningRate = args.GetDouble("--lr", 1e-4, 1e-8, 1),
                    Batch = args.GetInt("--batch", 32, 1, 4096),
                    Memory = args.GetInt("--memory", 10000, 1, 1_000_000),
                    Warmup = args.GetInt("--warmup", 1000, 0),
                    EpsilonSteps = args.IsSet("--epsilon-steps") ? args.GetInt("--epsilon-steps", 1, 1) : null,
                    TargetEvery = args.GetInt("--target-every", 1000, 1),
                    TrainEvery = args.GetInt("--train-every", 1, 1),
                    Gamma = args.GetDouble("--gamma", 0.99, 0, 1),
                    MaxSteps = args.GetInt("--max-steps", 3, 1, 16),
                    Seed = (ulong)args.GetInt("--seed", 0, 0),
                },
                ValEvery = args.GetInt("--val-every", 2000, 1),
                ValPatches = args.GetInt("--val-patches", 256, 1, 100_000),
                CheckpointEvery = args.GetInt("--checkpoint-every", 2000, 1),
                TuneIters = args.GetInt("--tune-iters", 0, 0),
                TunePatches = args.GetInt("--tune-patches", 4096, 16, 1_000_000),
                TuneLearningRate = args.GetDouble("--tune-lr", 1e-4, 1e-8, 1),
                Command = "restora " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)),
            };
        }
        catch (ArgumentException e) { throw new UserError($"train-agent: {e.Message}"); }

        using var stop = new GracefulStop("train-agent", "step");
        (double Input, double Output, double Steps) last;
        using (var progress = new Progress(options.Learning.Steps, "train-agent"))
        {
            try
            {
                last = AgentTrainingRun.Run(options, (done, total, text) => progress.Report((int)done, (int)total, text), stop.Token);
            }
            catch (Exception e) when (e is ArgumentException or DirectoryNotFoundException or InvalidDataException)
            {
                throw new UserError($"train-agent: {e.Message}");
            }
        }
        stop.Dispose();
        Console.Error.WriteLine(FormattableString.Invariant(
            $"train-agent: validation {last.Input:0.00} -> {last.Output:0.00} dB, {last.Steps:0.00} tools per patch; wrote {output}"));
        return 0;
    }
}
