using Restora.Core.Kernels;

namespace Restora.Core;

public static partial class F
{
    /// <summary>
    /// Batch norm over N, H, W per channel. In training it normalizes with the batch's statistics and, when running
    /// buffers are given, updates them as PyTorch does (the variance stored is the unbiased one); otherwise it uses
    /// the running statistics.
    /// </summary>
    public static Tensor BatchNorm2d(Tensor x, Tensor? runningMean, Tensor? runningVar, Tensor? weight, Tensor? bias,
        bool training, float momentum = 0.1f, float eps = 1e-5f)
    {
        if (!training && (runningMean is null || runningVar is null))
            throw new ArgumentException("batch_norm: evaluation needs running mean and variance");
        return Normalize("batch_norm", x, weight, bias, perInstance: false, eps, runningMean, runningVar, useRunning: !training, momentum);
    }

    /// <summary>Instance norm: each (sample, channel) plane normalized by its own statistics, optional per-channel affine.</summary>
    public static Tensor InstanceNorm2d(Tensor x, Tensor? weight = null, Tensor? bias = null, float eps = 1e-5f) =>
        Normalize("instance_norm", x, weight, bias, perInstance: true, eps, null, null, useRunning: false, 0);

    /// <summary>
    /// Shared by batch and instance norm: statistics are gathered per group (a channel across the batch, or one plane),
    /// in double. Per-plane partial sums are computed in parallel and added up in plane order, so the result does not
    /// depend on the thread count.
    /// </summary>
    static Tensor Normalize(string name, Tensor x, Tensor? weight, Tensor? bias, bool perInstance, float eps,
        Tensor? runningMean, Tensor? runningVar, bool useRunning, float momentum)
    {
        if (x.Rank != 4) throw new ArgumentException($"{name}: input {x.ShapeString} must be NCHW");
        int n = x.Dim(0), c = x.Dim(1), plane = x.Dim(2) * x.Dim(3), planes = n * c;
        foreach (var (t, what) in new[] { (weight, "weight"), (bias, "bias"), (runningMean, "running mean"), (runningVar, "running var") })
            if (t is not null && (t.Rank != 1 || t.Length != c))
                throw new ArgumentException($"{name}: {what} {t.ShapeString} does not match the {c} channels of {x.ShapeString}");
        int groups = perInstance ? planes : c;
        long members = perInstance ? plane : (long)n * plane;
        if (!useRunning && members <= 1 && !perInstance)
            throw new ArgumentException($"{name}: training needs more than one value per channel, got input {x.ShapeString}");
        float[] xd = x.Data;
        var mean = new double[groups];
        var invStd = new double[groups];
        var partial = new double[planes];
        if (useRunning)
            for (int g = 0; g < groups; g++)
            {
                mean[g] = runningMean!.ReadOnlySpan[g];
                invStd[g] = 1 / Math.Sqrt(runningVar!.ReadOnlySpan[g] + (double)eps);
            }
        else
        {
            Elementwise.Planes(planes, plane, p =>
            {
                double s = 0;
                foreach (var v in xd.AsSpan(p * plane, plane)) s += v;
                partial[p] = s;
            });
            for (int p = 0; p < planes; p++) mean[perInstance ? p : p % c] += partial[p];
            for (int g = 0; g < groups; g++) mean[g] /= members;
            // Two passes (mean, then squared deviations) rather than E[x²] - E[x]², which cancels badly.
            Elementwise.Planes(planes, plane, p =>
            {
                double m = mean[perInstance ? p : p % c], s = 0;
                foreach (var v in xd.AsSpan(p * plane, plane)) s += (v - m) * (v - m);
                partial[p] = s;
            });
            var sq = new double[groups];
            for (int p = 0; p < planes; p++) sq[perInstance ? p : p % c] += partial[p];
            for (int g = 0; g < groups; g++) invStd[g] = 1 / Math.Sqrt(sq[g] / members + eps);
            if (runningMean is not null && runningVar is not null)
            {
                var rm = runningMean.Span;
                var rv = runningVar.Span;
                for (int g = 0; g < groups; g++)
                {
                    rm[g] = (float)((1 - momentum) * rm[g] + momentum * mean[g]);
                    rv[g] = (float)((1 - momentum) * rv[g] + momentum * sq[g] / Math.Max(members - 1, 1));
                }
            }
        }

        var gamma = weight?.ToArray();
        var beta = bias?.ToArray();
        var y = Tensor.Empty(x.ShapeArray);
        float[] yd = y.Data;
        Elementwise.Planes(planes, plane, p =>
        {
            int g = perInstance ? p : p % c, ch = p % c;
            float scale = (float)(invStd[g] * (gamma is null ? 1 : gamma[ch]));
            float shift = (float)((beta is null ? 0 : beta[ch]) - mean[g] * scale);
            var src = xd.AsSpan(p * plane, plane);
            var dst = yd.AsSpan(p * plane, plane);
            for (int i = 0; i < plane; i++) dst[i] = src[i] * scale + shift;
        });
        if (!Autograd.Needs(x, weight, bias)) return y;
        return Autograd.Record(y, name, [x, weight, bias], gt =>
        {
            float[] xs = x.Data, gs = gt.Data;
            // Per plane: Σg and Σg·x̂; per group they give the input gradient, per channel the affine ones.
            var sumG = new double[planes];
            var sumGXhat = new double[planes];
            Elementwise.Planes(planes, plane, p =>
            {
                int g = perInstance ? p : p % c;
                double m = mean[g], inv = invStd[g], s = 0, sx = 0;
                var xp = xs.AsSpan(p * plane, plane);
                var gp = gs.AsSpan(p * plane, plane);
                for (int i = 0; i < plane; i++)
                {
                    s += gp[i];
                    sx += gp[i] * (xp[i] - m) * inv;
                }
                sumG[p] = s;
                sumGXhat[p] = sx;
            });
            var sumDy = new double[groups];
            var sumDyXhat = new double[groups];
            var gW = new double[c];
            var gB = new double[c];
            for (int p = 0; p < planes; p++)
            {
                int g = perInstance ? p : p % c, ch = p % c;
                double w = gamma is null ? 1 : gamma[ch];
                gB[ch] += sumG[p];
                gW[ch] += sumGXhat[p];
                sumDy[g] += sumG[p] * w;
                sumDyXhat[g] += sumGXhat[p] * w;
            }
            if (x.RequiresGrad)
            {
                var gx = Tensor.Empty(x.ShapeArray);
                float[] gxs = gx.Data;
                Elementwise.Planes(planes, plane, p =>
                {
                    int g = perInstance ? p : p % c, ch = p % c;
                    double m = mean[g], inv = invStd[g], w = gamma is null ? 1 : gamma[ch];
                    var xp = xs.AsSpan(p * plane, plane);
                    var gp = gs.AsSpan(p * plane, plane);
                    var dp = gxs.AsSpan(p * plane, plane);
                    if (useRunning)
                        for (int i = 0; i < plane; i++) dp[i] = (float)(gp[i] * w * inv);
                    else
                    {
                        // dx = inv·(g·γ - mean(g·γ) - x̂·mean(g·γ·x̂))
                        double a = sumDy[g] / members, b = sumDyXhat[g] / members;
                        for (int i = 0; i < plane; i++)
                            dp[i] = (float)(inv * (gp[i] * w - a - (xp[i] - m) * inv * b));
                    }
                });
                Autograd.Accumulate(x, gx);
            }
            if (weight is { RequiresGrad: true }) Autograd.Accumulate(weight, FromDoubles(gW, weight));
            if (bias is { RequiresGrad: true }) Autograd.Accumulate(bias, FromDoubles(gB, bias));
        });
    }

    static Tensor FromDoubles(double[] values, Tensor like)
    {
        var t = Tensor.Empty(like.ShapeArray);
        var s = t.Span;
        for (int i = 0; i < values.Length; i++) s[i] = (float)values[i];
        return t;
    }
}
