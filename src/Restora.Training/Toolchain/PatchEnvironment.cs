using Restora.Core;
using Restora.Imaging;
using Restora.Models;
using Restora.Models.Toolchain;

namespace Restora.Training.Toolchain;

/// <summary>
/// RL-Restore's environment: each episode a 63x63 patch of a training image, damaged as the mixed task's level says;
/// a tool restores the patch, the reward is the PSNR it gained (dB), and the episode ends when the agent stops, at the
/// step limit, or when the patch has become worse than it began. Patches already above 50 dB are skipped (too smooth
/// to teach anything), as the released code does.
/// </summary>
public sealed class PatchEnvironment : IEpisodeEnvironment
{
    readonly IReadOnlyList<Image> images;
    readonly IReadOnlyList<Tool> tools;
    readonly TaskParameters level;
    readonly int size = AgentNetwork.CropSize;
    float[] current = [], clean = [];
    double psnr, initial;

    /// <param name="images">Clean RGB training images, at least 63 + 2x10 pixels on each side.</param>
    /// <param name="level">The mixed task's parameters (a named level, or custom strengths).</param>
    public PatchEnvironment(IReadOnlyList<Image> images, IReadOnlyList<Tool> tools, TaskParameters level)
    {
        int margin = MixedDegradation.BlurRadius;
        this.images = images.Where(i => i.Width >= size + 2 * margin && i.Height >= size + 2 * margin).ToList();
        if (this.images.Count == 0) throw new ArgumentException($"no training image is at least {size + 2 * margin} pixels on each side");
        this.tools = tools;
        this.level = level;
        foreach (var t in tools) t.Module.Eval();
    }

    /// <inheritdoc/>
    public int Actions => tools.Count + 1;

    /// <summary>A damaged patch and its clean original, drawn with <paramref name="rng"/>.</summary>
    public (float[] Input, float[] Clean) Sample(SeededRandom rng)
    {
        int margin = MixedDegradation.BlurRadius, side = size + 2 * margin;
        var task = TaskRegistry.Get("mixed");
        var image = images[rng.NextInt(images.Count)];
        var crop = image.Crop(rng.NextInt(image.Width - side + 1), rng.NextInt(image.Height - side + 1), side, side);
        var pair = task.DegradePatch(crop, margin, size, level, rng, upsampleInput: false);
        return (pair.Input.Data[..(3 * size * size)], pair.Target.Data[..(3 * size * size)]);
    }

    /// <inheritdoc/>
    public float[] Reset(SeededRandom rng)
    {
        while (true)
        {
            (current, clean) = Sample(rng);
            psnr = Psnr(current, clean);
            if (psnr <= 50) break;
        }
        initial = psnr;
        return current;
    }

    /// <inheritdoc/>
    public (float[] Next, float Reward, bool Done) Act(int action)
    {
        if (action == tools.Count) return (current, 0, true);
        current = Apply(tools[action], [current])[0];
        double before = psnr;
        psnr = Psnr(current, clean);
        return (current, (float)(psnr - before), psnr < initial);
    }

    /// <summary>A tool on a batch of patches, the results clipped to 0..1 as a saved image would be.</summary>
    public static float[][] Apply(Tool tool, IReadOnlyList<float[]> patches)
    {
        int n = patches.Count, len = patches[0].Length, size = AgentNetwork.CropSize;
        if (!tool.TakesPatches)
        {
            // Through the pipeline, one patch at a time: padded to the network's multiple, told its noise estimate.
            var settings = new TaskSettings { Task = TaskRegistry.Get("mixed") };
            return patches.Select(p =>
            {
                var image = new Image(size, size, len == size * size ? PixelLayout.Gray : PixelLayout.Rgb, 8, (float[])p.Clone());
                var data = tool.Restore(image, settings).Data;
                var clipped = new float[len];
                for (int k = 0; k < len; k++) clipped[k] = Math.Clamp(data[k], 0f, 1f);
                return clipped;
            }).ToArray();
        }
        using var _ = Autograd.NoGrad();
        using var x = Tensor.Empty(n, len / (size * size), size, size);
        for (int i = 0; i < n; i++) patches[i].CopyTo(x.Span.Slice(i * len, len));
        using var y = tool.Module.Forward(x);
        var result = new float[n][];
        for (int i = 0; i < n; i++)
        {
            result[i] = y.ReadOnlySpan.Slice(i * len, len).ToArray();
            for (int k = 0; k < len; k++) result[i][k] = Math.Clamp(result[i][k], 0f, 1f);
        }
        return result;
    }

    /// <summary>PSNR (dB, peak 1) of two patches.</summary>
    public static double Psnr(float[] a, float[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++) { double d = a[i] - b[i]; sum += d * d; }
        return sum == 0 ? 100 : 10 * Math.Log10(a.Length / sum);
    }

    /// <summary>The greedy policy on fixed patches (no epsilon, no look at the clean patch): the mean PSNR before and
    /// after, and the mean tools used. Patches are stepped together, each tool run once per step on those that chose it;
    /// <paramref name="chains"/>, when given, receives each patch's tools in order.</summary>
    public (double Input, double Output, double Steps) Evaluate(AgentNetwork agent, IReadOnlyList<(float[] Input, float[] Clean)> patches, int maxSteps,
        List<int>[]? chains = null)
    {
        int n = patches.Count;
        var current = patches.Select(p => p.Input).ToArray();
        var done = new bool[n];
        var previous = Enumerable.Repeat(-1, n).ToArray();
        int steps = 0;
        if (chains is not null) for (int i = 0; i < n; i++) chains[i] = [];
        using var _ = Autograd.NoGrad();
        agent.Eval();
        var h = Tensor.Zeros(n, agent.Hidden);
        var c = Tensor.Zeros(n, agent.Hidden);
        for (int step = 0; step < maxSteps && !done.All(d => d); step++)
        {
            using var x = Tensor.Empty(n, agent.Channels, size, size);
            int len = current[0].Length;
            for (int i = 0; i < n; i++) current[i].CopyTo(x.Span.Slice(i * len, len));
            using var p = Tensor.Zeros(n, agent.Tools);
            for (int i = 0; i < n; i++) if (previous[i] >= 0) p.Span[i * agent.Tools + previous[i]] = 1;
            var (q, h1, c1) = agent.Step(x, p, h, c);
            h.Dispose(); c.Dispose();
            h = h1; c = c1;
            var actions = new int[n];
            var qs = q.ReadOnlySpan;
            for (int i = 0; i < n; i++)
            {
                int best = 0;
                for (int j = 1; j < agent.Actions; j++) if (qs[i * agent.Actions + j] > qs[i * agent.Actions + best]) best = j;
                actions[i] = done[i] ? agent.Stop : best;
                if (actions[i] == agent.Stop) done[i] = true;
            }
            q.Dispose();
            for (int t = 0; t < tools.Count; t++)
            {
                var chosen = Enumerable.Range(0, n).Where(i => actions[i] == t).ToList();
                if (chosen.Count == 0) continue;
                if (chains is not null) foreach (int i in chosen) chains[i].Add(t);
                var outs = Apply(tools[t], chosen.Select(i => current[i]).ToList());
                for (int k = 0; k < chosen.Count; k++) { current[chosen[k]] = outs[k]; previous[chosen[k]] = t; }
                steps += chosen.Count;
            }
        }
        h.Dispose(); c.Dispose();
        return (patches.Average(p => Psnr(p.Input, p.Clean)), Enumerable.Range(0, n).Average(i => Psnr(current[i], patches[i].Clean)), (double)steps / n);
    }
}
