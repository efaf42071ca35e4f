namespace Restora.Core.Nn;

/// <summary>
/// Weight initializers with <c>torch.nn.init</c>'s formulas. Fan-in and fan-out follow PyTorch too: for a conv
/// weight [a, b, kh, kw] fan-in is b·kh·kw and fan-out a·kh·kw (which is why a transposed conv's fan-in counts
/// its output channels). Random numbers come from the generator given, or a process-wide seeded one.
/// </summary>
public static class Init
{
    static readonly Random shared = new(0);

    public static (int FanIn, int FanOut) Fans(Tensor t)
    {
        if (t.Rank < 2) throw new ArgumentException($"fan in and fan out need at least 2 dimensions, got {t.ShapeString}");
        int receptive = 1;
        for (int i = 2; i < t.Rank; i++) receptive *= t.Dim(i);
        return (t.Dim(1) * receptive, t.Dim(0) * receptive);
    }

    /// <summary>torch.nn.init.calculate_gain.</summary>
    public static double Gain(string nonlinearity, double param = 0.01) => nonlinearity switch
    {
        "linear" or "conv2d" or "sigmoid" or "conv_transpose2d" => 1,
        "tanh" => 5.0 / 3,
        "relu" => Math.Sqrt(2),
        "leaky_relu" => Math.Sqrt(2 / (1 + param * param)),
        "selu" => 0.75,
        _ => throw new ArgumentException($"unknown nonlinearity '{nonlinearity}'"),
    };

    public static void Uniform(Tensor t, double low, double high, Random? rng = null)
    {
        var r = rng ?? shared;
        var s = t.Span;
        for (int i = 0; i < s.Length; i++) s[i] = (float)(low + (high - low) * r.NextDouble());
    }

    public static void Normal(Tensor t, double mean, double std, Random? rng = null)
    {
        var r = rng ?? shared;
        var s = t.Span;
        for (int i = 0; i < s.Length; i++)
        {
            // Box–Muller; 1 - NextDouble() keeps the logarithm's argument in (0, 1].
            double u = 1 - r.NextDouble(), v = r.NextDouble();
            s[i] = (float)(mean + std * Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v));
        }
    }

    public static void Constant(Tensor t, float value) => t.Span.Fill(value);
    public static void Zeros(Tensor t) => t.Span.Clear();

    static int Fan(Tensor t, string mode) => mode switch
    {
        "fan_in" => Fans(t).FanIn,
        "fan_out" => Fans(t).FanOut,
        _ => throw new ArgumentException($"mode must be 'fan_in' or 'fan_out', got '{mode}'"),
    };

    /// <summary>He et al. 2015, uniform: bound = gain·√(3 / fan).</summary>
    public static void KaimingUniform(Tensor t, double a = 0, string mode = "fan_in", string nonlinearity = "leaky_relu", Random? rng = null)
    {
        double bound = Gain(nonlinearity, a) * Math.Sqrt(3.0 / Fan(t, mode));
        Uniform(t, -bound, bound, rng);
    }

    /// <summary>He et al. 2015, normal: std = gain / √fan.</summary>
    public static void KaimingNormal(Tensor t, double a = 0, string mode = "fan_in", string nonlinearity = "leaky_relu", Random? rng = null) =>
        Normal(t, 0, Gain(nonlinearity, a) / Math.Sqrt(Fan(t, mode)), rng);

    /// <summary>Glorot and Bengio 2010, uniform: bound = gain·√(6 / (fan_in + fan_out)).</summary>
    public static void XavierUniform(Tensor t, double gain = 1, Random? rng = null)
    {
        var (fi, fo) = Fans(t);
        double bound = gain * Math.Sqrt(6.0 / (fi + fo));
        Uniform(t, -bound, bound, rng);
    }

    public static void XavierNormal(Tensor t, double gain = 1, Random? rng = null)
    {
        var (fi, fo) = Fans(t);
        Normal(t, 0, gain * Math.Sqrt(2.0 / (fi + fo)), rng);
    }

    /// <summary>
    /// PyTorch's default for Conv2d and ConvTranspose2d: kaiming_uniform with a = √5, i.e. U(±1/√fan_in),
    /// and the bias U(±1/√fan_in).
    /// </summary>
    public static void DefaultConv(Tensor weight, Tensor? bias, Random? rng = null)
    {
        KaimingUniform(weight, a: Math.Sqrt(5), rng: rng);
        if (bias is null) return;
        double bound = 1 / Math.Sqrt(Fans(weight).FanIn);
        Uniform(bias, -bound, bound, rng);
    }
}
