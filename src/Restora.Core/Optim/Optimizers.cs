using System.Numerics.Tensors;

namespace Restora.Core.Optim;

/// <summary>
/// Updates parameters in place from their gradients. Parameters without a gradient are skipped, as in PyTorch.
/// State (momentum, moments) lives in persistent buffers allocated on the first step.
/// </summary>
public abstract class Optimizer
{
    protected Optimizer(IEnumerable<Tensor> parameters, double learningRate)
    {
        Parameters = parameters.ToArray();
        if (Parameters.Count == 0) throw new ArgumentException("optimizer got an empty parameter list");
        if (learningRate < 0) throw new ArgumentOutOfRangeException(nameof(learningRate), $"learning rate {learningRate} is negative");
        LearningRate = learningRate;
        InitialLearningRate = learningRate;
    }

    public IReadOnlyList<Tensor> Parameters { get; }

    /// <summary>Set by schedules between steps.</summary>
    public double LearningRate { get; set; }

    public double InitialLearningRate { get; }

    public abstract void Step();

    /// <summary>Zeroes every gradient in place (PyTorch 1.13's zero_grad(set_to_none=False)).</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters) p.Grad?.Span.Clear();
    }
}

/// <summary>torch.optim.SGD: weight decay as L2 on the gradient, heavy-ball or Nesterov momentum with dampening.</summary>
public sealed class SGD : Optimizer
{
    readonly double momentum, dampening, weightDecay;
    readonly bool nesterov;
    readonly Tensor?[] buffers;

    public SGD(IEnumerable<Tensor> parameters, double lr, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false)
        : base(parameters, lr)
    {
        if (nesterov && (momentum <= 0 || dampening != 0)) throw new ArgumentException("Nesterov momentum needs momentum > 0 and no dampening");
        this.momentum = momentum;
        this.dampening = dampening;
        this.weightDecay = weightDecay;
        this.nesterov = nesterov;
        buffers = new Tensor?[Parameters.Count];
    }

    public override void Step()
    {
        float lr = (float)LearningRate, wd = (float)weightDecay, mu = (float)momentum, damp = (float)(1 - dampening);
        for (int k = 0; k < Parameters.Count; k++)
        {
            var p = Parameters[k];
            if (p.Grad is null) continue;
            var ps = p.Span;
            var gs = p.Grad.ReadOnlySpan;
            using var d = Tensor.FromArray(gs, p.ShapeArray);
            var ds = d.Span;
            if (wd != 0) TensorPrimitives.MultiplyAdd(ps, wd, ds, ds);
            if (mu != 0)
            {
                if (buffers[k] is null) buffers[k] = Tensor.PersistentFrom(ds, p.ShapeArray);
                else
                {
                    var b = buffers[k]!.Span;
                    TensorPrimitives.Multiply(b, mu, b);
                    TensorPrimitives.MultiplyAdd(ds, damp, b, b);
                }
                var buf = buffers[k]!.ReadOnlySpan;
                if (nesterov) TensorPrimitives.MultiplyAdd(buf, mu, ds, ds);
                else buf.CopyTo(ds);
            }
            TensorPrimitives.MultiplyAdd(ds, -lr, ps, ps);
        }
    }
}

/// <summary>
/// torch.optim.Adam (and, with <c>decoupled</c>, AdamW), written as PyTorch 1.13's single-tensor loop so that
/// a run from the same weights follows the same curve: bias corrections in double, the update in float.
/// </summary>
public class Adam : Optimizer
{
    readonly double beta1, beta2, eps, weightDecay;
    readonly bool decoupled;
    readonly Tensor?[] m, v;
    int step;

    public Adam(IEnumerable<Tensor> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0)
        : this(parameters, lr, beta1, beta2, eps, weightDecay, decoupled: false) { }

    protected Adam(IEnumerable<Tensor> parameters, double lr, double beta1, double beta2, double eps, double weightDecay, bool decoupled)
        : base(parameters, lr)
    {
        if (beta1 is < 0 or >= 1 || beta2 is < 0 or >= 1) throw new ArgumentException($"betas ({beta1}, {beta2}) must be in [0, 1)");
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.decoupled = decoupled;
        m = new Tensor?[Parameters.Count];
        v = new Tensor?[Parameters.Count];
    }

    public int StepCount => step;

    /// <summary>
    /// The step count and both moments of every parameter ("step", "exp_avg.K", "exp_avg_sq.K" with K the
    /// parameter's index), for checkpoints that resume bit-identically. Parameters not yet stepped have no entry.
    /// </summary>
    public OrderedDictionary<string, Tensor> StateDict()
    {
        var d = new OrderedDictionary<string, Tensor> { ["step"] = Tensor.PersistentFrom([step], []) };
        for (int k = 0; k < Parameters.Count; k++)
        {
            if (m[k] is null) continue;
            d[$"exp_avg.{k}"] = m[k]!;
            d[$"exp_avg_sq.{k}"] = v[k]!;
        }
        return d;
    }

    /// <summary>Restores what <see cref="StateDict"/> saved, into an optimizer over the same parameter list.</summary>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state)
    {
        if (!state.TryGetValue("step", out var s)) throw new InvalidOperationException("Adam state has no 'step'");
        step = (int)s.Item();
        for (int k = 0; k < Parameters.Count; k++)
        {
            bool hasM = state.TryGetValue($"exp_avg.{k}", out var mk), hasV = state.TryGetValue($"exp_avg_sq.{k}", out var vk);
            if (hasM != hasV) throw new InvalidOperationException($"Adam state for parameter {k} has only one of its two moments");
            if (!hasM) { m[k] = v[k] = null; continue; }
            if (mk!.Length != Parameters[k].Length || vk!.Length != Parameters[k].Length)
                throw new InvalidOperationException($"Adam state for parameter {k} has {mk.Length} values, the parameter {Parameters[k].Length}");
            m[k] = Tensor.PersistentFrom(mk.ReadOnlySpan, Parameters[k].ShapeArray);
            v[k] = Tensor.PersistentFrom(vk.ReadOnlySpan, Parameters[k].ShapeArray);
        }
    }

    public override void Step()
    {
        step++;
        double bc1 = 1 - Math.Pow(beta1, step), bc2 = 1 - Math.Pow(beta2, step);
        float stepSize = (float)(LearningRate / bc1), bc2Sqrt = (float)Math.Sqrt(bc2);
        // The complements are rounded from double, as PyTorch passes them to add_/addcmul_ as Python floats.
        float b1 = (float)beta1, b2 = (float)beta2, c1 = (float)(1 - beta1), c2 = (float)(1 - beta2), e = (float)eps;
        for (int k = 0; k < Parameters.Count; k++)
        {
            var p = Parameters[k];
            if (p.Grad is null) continue;
            var ps = p.Span;
            var gs = p.Grad.ReadOnlySpan;
            m[k] ??= Tensor.Persistent(p.ShapeArray);
            v[k] ??= Tensor.Persistent(p.ShapeArray);
            var ms = m[k]!.Span;
            var vs = v[k]!.Span;
            if (weightDecay != 0 && decoupled) TensorPrimitives.Multiply(ps, (float)(1 - LearningRate * weightDecay), ps);
            float wd = decoupled ? 0f : (float)weightDecay;
            for (int i = 0; i < ps.Length; i++)
            {
                float g = wd != 0 ? gs[i] + wd * ps[i] : gs[i];
                ms[i] = ms[i] * b1 + c1 * g;
                vs[i] = vs[i] * b2 + c2 * g * g;
                float denom = MathF.Sqrt(vs[i]) / bc2Sqrt + e;
                ps[i] -= stepSize * (ms[i] / denom);
            }
        }
    }
}

/// <summary>torch.optim.AdamW: Adam with weight decay applied to the weights, not the gradient (Loshchilov and Hutter).</summary>
public sealed class AdamW(IEnumerable<Tensor> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 1e-2)
    : Adam(parameters, lr, beta1, beta2, eps, weightDecay, decoupled: true);

/// <summary>
/// A learning-rate schedule: call <see cref="Step"/> once per optimizer step, after it (as PyTorch's schedulers).
/// An optional linear warmup ramps from base/warmup to base over the first <c>warmupSteps</c> steps.
/// </summary>
public abstract class LrScheduler
{
    protected LrScheduler(Optimizer optimizer, int warmupSteps)
    {
        Optimizer = optimizer;
        WarmupSteps = warmupSteps >= 0 ? warmupSteps : throw new ArgumentOutOfRangeException(nameof(warmupSteps));
        BaseLearningRate = optimizer.InitialLearningRate;
        optimizer.LearningRate = LearningRateAt(0);
    }

    public Optimizer Optimizer { get; }
    public int WarmupSteps { get; }
    public double BaseLearningRate { get; }
    public int StepCount { get; private set; }

    public double LearningRateAt(int step) =>
        step < WarmupSteps ? BaseLearningRate * (step + 1) / WarmupSteps : AfterWarmup(step - WarmupSteps);

    protected abstract double AfterWarmup(int step);

    public void Step()
    {
        StepCount++;
        Optimizer.LearningRate = LearningRateAt(StepCount);
    }
}

/// <summary>torch.optim.lr_scheduler.StepLR after warmup: multiply by gamma every stepSize steps.</summary>
public sealed class StepLR(Optimizer optimizer, int stepSize, double gamma = 0.1, int warmupSteps = 0) : LrScheduler(optimizer, warmupSteps)
{
    protected override double AfterWarmup(int step) => BaseLearningRate * Math.Pow(gamma, step / stepSize);
}

/// <summary>Cosine decay from the base rate to <c>minLr</c> over <c>totalSteps</c> (warmup included), then flat.</summary>
public sealed class CosineAnnealingLR(Optimizer optimizer, int totalSteps, double minLr = 0, int warmupSteps = 0) : LrScheduler(optimizer, warmupSteps)
{
    protected override double AfterWarmup(int step)
    {
        int span = Math.Max(totalSteps - WarmupSteps, 1);
        double t = Math.Min(step, span) / (double)span;
        return minLr + (BaseLearningRate - minLr) * 0.5 * (1 + Math.Cos(Math.PI * t));
    }
}

public static class GradClip
{
    /// <summary>
    /// torch.nn.utils.clip_grad_norm_: scales all gradients together so their joint L2 norm is at most
    /// <paramref name="maxNorm"/>; returns the norm before clipping.
    /// </summary>
    public static double ClipGradNorm(IEnumerable<Tensor> parameters, double maxNorm)
    {
        var withGrad = parameters.Where(p => p.Grad is not null).ToArray();
        double sq = 0;
        foreach (var p in withGrad)
            foreach (var g in p.Grad!.ReadOnlySpan) sq += (double)g * g;
        double norm = Math.Sqrt(sq);
        double coef = maxNorm / (norm + 1e-6);
        if (coef < 1)
            foreach (var p in withGrad) TensorPrimitives.Multiply(p.Grad!.ReadOnlySpan, (float)coef, p.Grad.Span);
        return norm;
    }

    /// <summary>torch.nn.utils.clip_grad_value_: clamps every gradient element to [-clip, clip].</summary>
    public static void ClipGradValue(IEnumerable<Tensor> parameters, float clip)
    {
        foreach (var p in parameters)
            if (p.Grad is not null) TensorPrimitives.Clamp(p.Grad.ReadOnlySpan, -clip, clip, p.Grad.Span);
    }
}
