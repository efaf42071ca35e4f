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

    static Tensor Normalize(string name, Tensor x, Tensor? weight, Tensor? bias, bool perInstance, float eps,
        Tensor? runningMean, Tensor? runningVar, bool useRunning, float momentum)
    {
        if (x.Rank != 4) throw new ArgumentException($"{name}: input {x.ShapeString} must be NCHW");
        int n = x.Dim(0), c = x.Dim(1), plane = x.Dim(2) * x.Dim(3);
        foreach (var (t, what) in new[] { (weight, "weight"), (bias, "bias"), (runningMean, "running mean"), (runningVar, "running var") })
            if (t is not null && (t.Rank != 1 || t.Length != c))
                throw new ArgumentException($"{name}: {what} {t.ShapeString} does not match the {c} channels of {x.ShapeString}");
        int groups = perInstance ? n * c : c;
        long members = perInstance ? plane : (long)n * plane;
        if (!useRunning && members <= 1 && !perInstance)
            throw new ArgumentException($"{name}: training needs more than one value per channel, got input {x.ShapeString}");
        var xs = x.ReadOnlySpan;
        var mean = new double[groups];
        var invStd = new double[groups];
        if (useRunning)
            for (int g = 0; g < groups; g++)
            {
                mean[g] = runningMean!.ReadOnlySpan[g];
                invStd[g] = 1 / Math.Sqrt(runningVar!.ReadOnlySpan[g] + (double)eps);
            }
        else
        {
            var sum = new double[groups];
            var sq = new double[groups];
            for (int p = 0; p < n * c; p++)
            {
                int g = perInstance ? p : p % c;
                double s = 0;
                foreach (var v in xs.Slice(p * plane, plane)) s += v;
                sum[g] += s;
            }
            for (int g = 0; g < groups; g++) mean[g] = sum[g] / members;
            for (int p = 0; p < n * c; p++)
            {
                int g = perInstance ? p : p % c;
                double m = mean[g], s = 0;
                foreach (var v in xs.Slice(p * plane, plane)) s += (v - m) * (v - m);
                sq[g] += s;
            }
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

        var y = Tensor.Empty(x.ShapeArray);
        var ys = y.Span;
        for (int p = 0; p < n * c; p++)
        {
            int g = perInstance ? p : p % c, ch = p % c;
            float scale = (float)(invStd[g] * (weight is null ? 1 : weight.ReadOnlySpan[ch]));
            float shift = (float)((bias is null ? 0 : bias.ReadOnlySpan[ch]) - mean[g] * scale);
            var src = xs.Slice(p * plane, plane);
            var dst = ys.Slice(p * plane, plane);
            for (int i = 0; i < plane; i++) dst[i] = src[i] * scale + shift;
        }
        if (!Autograd.Needs(x, weight, bias)) return y;
        return Autograd.Record(y, name, [x, weight, bias], gt =>
        {
            var xs = x.ReadOnlySpan;
            var gs = gt.ReadOnlySpan;
            // Per group: Σg·γ and Σg·γ·x̂ for the input gradient; per channel: Σg·x̂ and Σg for the affine ones.
            var sumDy = new double[groups];
            var sumDyXhat = new double[groups];
            var gW = new double[c];
            var gB = new double[c];
            for (int p = 0; p < n * c; p++)
            {
                int g = perInstance ? p : p % c, ch = p % c;
                double m = mean[g], inv = invStd[g];
                double s = 0, sx = 0;
                var xp = xs.Slice(p * plane, plane);
                var gp = gs.Slice(p * plane, plane);
                for (int i = 0; i < plane; i++)
                {
                    s += gp[i];
                    sx += gp[i] * (xp[i] - m) * inv;
                }
                gB[ch] += s;
                gW[ch] += sx;
                double w = weight is null ? 1 : weight.ReadOnlySpan[ch];
                sumDy[g] += s * w;
                sumDyXhat[g] += sx * w;
            }
            if (x.RequiresGrad)
            {
                var gx = Tensor.Empty(x.ShapeArray);
                var gxs = gx.Span;
                for (int p = 0; p < n * c; p++)
                {
                    int g = perInstance ? p : p % c, ch = p % c;
                    double m = mean[g], inv = invStd[g], w = weight is null ? 1 : weight.ReadOnlySpan[ch];
                    var xp = xs.Slice(p * plane, plane);
                    var gp = gs.Slice(p * plane, plane);
                    var dp = gxs.Slice(p * plane, plane);
                    if (useRunning)
                        for (int i = 0; i < plane; i++) dp[i] = (float)(gp[i] * w * inv);
                    else
                    {
                        double a = sumDy[g] / members, b = sumDyXhat[g] / members;
                        for (int i = 0; i < plane; i++)
                            dp[i] = (float)(inv * (gp[i] * w - a - (xp[i] - m) * inv * b));
                    }
                }
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
