using Restora.Core;
using Restora.Imaging;

namespace Restora.Models.Toolchain;

/// <summary>What a chain did to one image: the tools in order (possibly none) and the GFLOPs spent, the agent's own included.</summary>
public sealed record ChainReport(IReadOnlyList<string> Chain, double Gflops)
{
    /// <summary>Tools run.</summary>
    public int Steps => Chain.Count;
}

/// <summary>A restorer that reports the chain it ran on each image (`eval` averages steps and GFLOPs).</summary>
public interface IChainRestorer : IRestorer
{
    /// <summary>Restores and says how.</summary>
    Image Restore(Image degraded, TaskSettings settings, out ChainReport report);
}

/// <summary>
/// RL-Restore at inference (`restora auto`): the agent looks at the image, picks a tool or stops, the tool restores
/// the whole image (through the one pipeline, tiled as any network), and again, up to the agent's step limit.
/// The agent was trained on 63x63 patches; on a whole image it sees a grid of up to 3x3 crops, each with its own
/// LSTM state, and the chain follows the mean of their Q-values, so one chain serves the whole image.
/// </summary>
public sealed class ToolchainRestorer : Formats.IRestorationModel, IChainRestorer
{
    readonly AgentNetwork agent;
    readonly Toolbox toolbox;

    /// <summary>Crops per side of the grid the agent sees.</summary>
    public const int Grid = 3;

    public ToolchainRestorer(string name, AgentNetwork agent, Toolbox toolbox, int maxSteps)
    {
        if (toolbox.Tools.Count != agent.Tools) throw new ArgumentException($"agent {name} chooses among {agent.Tools} tools, the toolbox has {toolbox.Tools.Count}");
        Name = name;
        this.agent = agent;
        this.toolbox = toolbox;
        MaxSteps = maxSteps;
    }

    /// <summary>Opens an agent file and its tools (by the names it records: beside the file first, then shipped).</summary>
    public static ToolchainRestorer Open(string path)
    {
        var (agent, info) = AgentModel.Load(path);
        Toolbox toolbox;
        // Beside the agent first (shipped together), then where its training found them.
        try { toolbox = Toolbox.Open(info.Tools, Path.GetDirectoryName(Path.GetFullPath(path)), info.Extra.GetValueOrDefault("tools_dir")); }
        catch (ArgumentException e) { throw new InvalidDataException($"{path}: {e.Message}", e); }
        return new ToolchainRestorer(Path.GetFileNameWithoutExtension(path), agent, toolbox, info.MaxSteps) { Info = info };
    }

    /// <summary>The agent file's info, when opened from one.</summary>
    public AgentModel.Info? Info { get; init; }

    /// <summary>The tools, in action order.</summary>
    public Toolbox Toolbox => toolbox;

    /// <summary>Most tools in one chain.</summary>
    public int MaxSteps { get; }

    /// <inheritdoc/>
    public string Name { get; }
    /// <inheritdoc/>
    public string Description => $"RL-Restore toolchain: an agent choosing among {toolbox.Tools.Count} tools, up to {MaxSteps} steps";
    /// <inheritdoc/>
    public RestorationTask Task => TaskRegistry.Get("mixed");
    /// <inheritdoc/>
    public int Scale => 1;
    /// <inheritdoc/>
    public Upscaling.ISuperResolutionNetwork? Network => null;
    /// <inheritdoc/>
    public int Tile { get; set; }
    /// <inheritdoc/>
    public Action<int, int>? TileProgress { get; set; }
    /// <inheritdoc/>
    public long TileBudgetBytes { get; set; }

    /// <summary>Any same-size task: the toolchain undoes whatever mix of blur, noise and JPEG it sees.</summary>
    public bool Supports(RestorationTask task) => !task.Enlarges && !task.UsesPairs && task.Name != "colorize";

    /// <inheritdoc/>
    public Image Restore(Image degraded, TaskSettings settings) => Restore(degraded, settings, out _);

    /// <inheritdoc/>
    public Image Restore(Image degraded, TaskSettings settings, out ChainReport report)
    {
        var chain = new List<string>();
        double gflops = 0;
        var image = degraded;
        int channels = agent.Channels;
        Tensor? h = null, c = null;
        var previous = new int[] { -1 };
        using (Autograd.NoGrad())
        {
            for (int step = 0; step < MaxSteps; step++)
            {
                using var crops = Toolbox.Crops(image, channels, Grid);
                int k = crops.Dim(0);
                h ??= Tensor.Zeros(k, agent.Hidden);
                c ??= Tensor.Zeros(k, agent.Hidden);
                using var onehot = OneHot(k, agent.Tools, previous[0]);
                var (q, h1, c1) = agent.Step(crops, onehot, h, c);
                h.Dispose(); c.Dispose();
                h = h1; c = c1;
                gflops += 2.0 * agent.MacsPerCrop() * k / 1e9;
                int action = MeanArgMax(q);
                q.Dispose();
                if (action == agent.Stop) break;
                var tool = toolbox.Tools[action];
                tool.Restorer.Tile = Tile;
                tool.Restorer.TileBudgetBytes = TileBudgetBytes;
                image = tool.Restore(image, settings);
                gflops += tool.Gflops((long)image.Width * image.Height);
                chain.Add(tool.Name);
                previous[0] = action;
                TileProgress?.Invoke(step + 1, MaxSteps);
            }
            h?.Dispose(); c?.Dispose();
        }
        report = new ChainReport(chain, gflops);
        // No tool: the input as it was (restorers return colour planes without alpha, as the pipeline does).
        return ReferenceEquals(image, degraded) ? degraded.WithoutAlpha().Clone() : image;
    }

    /// <summary>[N, tools] one-hots of <paramref name="tool"/> (all zero for -1, the first step).</summary>
    public static Tensor OneHot(int n, int tools, int tool)
    {
        var t = Tensor.Zeros(n, tools);
        if (tool >= 0) for (int i = 0; i < n; i++) t.Span[i * tools + tool] = 1;
        return t;
    }

    /// <summary>The action with the highest Q-value averaged over the rows (the crops); ties go to the first.</summary>
    public static int MeanArgMax(Tensor q)
    {
        int n = q.Dim(0), a = q.Dim(1);
        var s = q.ReadOnlySpan;
        int best = 0;
        double bestValue = double.NegativeInfinity;
        for (int j = 0; j < a; j++)
        {
            double sum = 0;
            for (int i = 0; i < n; i++) sum += s[i * a + j];
            if (sum > bestValue) { bestValue = sum; best = j; }
        }
        return best;
    }
}
