using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace Restora.Core.Kernels;

/// <summary>
/// Span kernels for the elementwise ops that <see cref="System.Numerics.Tensors.TensorPrimitives"/> lacks:
/// a Vector512 body, then a Vector256 loop (the body on machines without AVX-512), then a scalar tail. Each writes <c>dst</c> only, so callers may split a buffer
/// into chunks and run them on different threads.
/// </summary>
internal static class Elementwise
{
    /// <summary>Work below this many elements is not worth a thread hop.</summary>
    const int Grain = 1 << 15;

    /// <summary>Runs body(start, length) over [0, length) in chunks on <see cref="Compute"/>'s threads.</summary>
    public static void Chunked(int length, Action<int, int> body)
    {
        if (length <= Grain || Compute.Threads == 1)
        {
            body(0, length);
            return;
        }
        int chunks = (length + Grain - 1) / Grain;
        Compute.For(chunks, c =>
        {
            int start = c * Grain;
            body(start, Math.Min(Grain, length - start));
        });
    }

    /// <summary>
    /// Runs body(p) for each of <paramref name="count"/> independent planes of <paramref name="planeSize"/> elements,
    /// on <see cref="Compute"/>'s threads once there is enough work. Each plane's result must depend on that plane only.
    /// </summary>
    public static void Planes(int count, int planeSize, Action<int> body)
    {
        if ((long)count * planeSize <= 2 * Grain || Compute.Threads == 1)
        {
            for (int p = 0; p < count; p++) body(p);
            return;
        }
        Compute.For(count, body);
    }

    /// <summary>dst = x &gt; 0 ? x : x * slope.</summary>
    public static void LeakyRelu(ReadOnlySpan<float> x, float slope, Span<float> dst)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var s = Vector512.Create(slope);
            for (; i <= x.Length - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var v = Vector512.Create(x.Slice(i, Vector512<float>.Count));
                Vector512.ConditionalSelect(Vector512.GreaterThan(v, Vector512<float>.Zero), v, v * s).CopyTo(dst.Slice(i));
            }
        }
        // Without AVX-512 this is the main loop; with it, it takes a tail of 8 or more.
        if (Vector256.IsHardwareAccelerated)
        {
            var s = Vector256.Create(slope);
            for (; i <= x.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var v = Vector256.Create(x.Slice(i, Vector256<float>.Count));
                Vector256.ConditionalSelect(Vector256.GreaterThan(v, Vector256<float>.Zero), v, v * s).CopyTo(dst.Slice(i));
            }
        }
        for (; i < x.Length; i++) dst[i] = x[i] > 0 ? x[i] : x[i] * slope;
    }

    /// <summary>dst = x &gt; 0 ? g : g * slope (slope 0 is ReLU's backward).</summary>
    public static void LeakyReluBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> g, float slope, Span<float> dst)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var s = Vector512.Create(slope);
            for (; i <= x.Length - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var v = Vector512.Create(x.Slice(i, Vector512<float>.Count));
                var gv = Vector512.Create(g.Slice(i, Vector512<float>.Count));
                Vector512.ConditionalSelect(Vector512.GreaterThan(v, Vector512<float>.Zero), gv, gv * s).CopyTo(dst.Slice(i));
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var s = Vector256.Create(slope);
            for (; i <= x.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var v = Vector256.Create(x.Slice(i, Vector256<float>.Count));
                var gv = Vector256.Create(g.Slice(i, Vector256<float>.Count));
                Vector256.ConditionalSelect(Vector256.GreaterThan(v, Vector256<float>.Zero), gv, gv * s).CopyTo(dst.Slice(i));
            }
        }
        for (; i < x.Length; i++) dst[i] = x[i] > 0 ? g[i] : g[i] * slope;
    }

    /// <summary>Sigmoid's backward from its output: g * y * (1 - y).</summary>
    public static void SigmoidBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> g, Span<float> dst)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= y.Length - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var v = Vector512.Create(y.Slice(i, Vector512<float>.Count));
                var gv = Vector512.Create(g.Slice(i, Vector512<float>.Count));
                (gv * v * (Vector512<float>.One - v)).CopyTo(dst.Slice(i));
            }
        if (Vector256.IsHardwareAccelerated)
            for (; i <= y.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var v = Vector256.Create(y.Slice(i, Vector256<float>.Count));
                var gv = Vector256.Create(g.Slice(i, Vector256<float>.Count));
                (gv * v * (Vector256<float>.One - v)).CopyTo(dst.Slice(i));
            }
        for (; i < y.Length; i++) dst[i] = g[i] * y[i] * (1 - y[i]);
    }

    /// <summary>Tanh's backward from its output: g * (1 - y²).</summary>
    public static void TanhBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> g, Span<float> dst)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= y.Length - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var v = Vector512.Create(y.Slice(i, Vector512<float>.Count));
                var gv = Vector512.Create(g.Slice(i, Vector512<float>.Count));
                (gv * (Vector512<float>.One - v * v)).CopyTo(dst.Slice(i));
            }
        if (Vector256.IsHardwareAccelerated)
            for (; i <= y.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var v = Vector256.Create(y.Slice(i, Vector256<float>.Count));
                var gv = Vector256.Create(g.Slice(i, Vector256<float>.Count));
                (gv * (Vector256<float>.One - v * v)).CopyTo(dst.Slice(i));
            }
        for (; i < y.Length; i++) dst[i] = g[i] * (1 - y[i] * y[i]);
    }

    const double InvSqrt2 = 0.70710678118654752440;
    const double InvSqrt2Pi = 0.39894228040143267794;
    const double Sqrt2OverPi = 0.79788456080286535588;

    /// <summary>GELU, exact (x·Φ(x), PyTorch's default) or the tanh approximation (approximate='tanh').</summary>
    public static void Gelu(ReadOnlySpan<float> x, bool tanhApprox, Span<float> dst)
    {
        if (tanhApprox)
            for (int i = 0; i < x.Length; i++)
            {
                double v = x[i];
                dst[i] = (float)(0.5 * v * (1 + Math.Tanh(Sqrt2OverPi * (v + 0.044715 * v * v * v))));
            }
        else
            for (int i = 0; i < x.Length; i++)
            {
                double v = x[i];
                dst[i] = (float)(0.5 * v * (1 + Erf(v * InvSqrt2)));
            }
    }

    public static void GeluBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> g, bool tanhApprox, Span<float> dst)
    {
        if (tanhApprox)
            for (int i = 0; i < x.Length; i++)
            {
                double v = x[i];
                double inner = Sqrt2OverPi * (v + 0.044715 * v * v * v);
                double t = Math.Tanh(inner);
                double d = 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * Sqrt2OverPi * (1 + 3 * 0.044715 * v * v);
                dst[i] = (float)(g[i] * d);
            }
        else
            for (int i = 0; i < x.Length; i++)
            {
                double v = x[i];
                double d = 0.5 * (1 + Erf(v * InvSqrt2)) + v * InvSqrt2Pi * Math.Exp(-0.5 * v * v);
                dst[i] = (float)(g[i] * d);
            }
    }

    /// <summary>
    /// erf in double to near double precision (W. J. Cody's rational approximations), since .NET has no Math.Erf
    /// and the float GELU must match PyTorch's to the last bit or two.
    /// </summary>
    public static double Erf(double x)
    {
        double ax = Math.Abs(x);
        if (ax < 0.5)
        {
            double z = x * x;
            double num = ((((1.85777706184603153e-1 * z + 3.16112374387056560e0) * z + 1.13864154151050156e2) * z
                + 3.77485237685302021e2) * z + 3.20937758913846947e3);
            double den = ((((z + 2.36012909523441209e1) * z + 2.44024637934444173e2) * z + 1.28261652607737228e3) * z
                + 2.84423683343917062e3);
            return x * num / den;
        }
        double erfc;
        if (ax < 4)
        {
            double num = ((((((((2.15311535474403846e-8 * ax + 5.64188496988670089e-1) * ax + 8.88314979438837594e0) * ax
                + 6.61191906371416295e1) * ax + 2.98635138197400131e2) * ax + 8.81952221241769090e2) * ax
                + 1.71204761263407058e3) * ax + 2.05107837782607147e3) * ax + 1.23033935479799725e3);
            double den = ((((((((ax + 1.57449261107098347e1) * ax + 1.17693950891312499e2) * ax + 5.37181101862009858e2) * ax
                + 1.62138957456669019e3) * ax + 3.29079923573345963e3) * ax + 4.36261909014324716e3) * ax
                + 3.43936767414372164e3) * ax + 1.23033935480374942e3);
            erfc = Math.Exp(-ax * ax) * num / den;
        }
        else if (ax < 27)
        {
            double z = 1 / (ax * ax);
            double num = (((((1.63153871373020978e-2 * z + 3.05326634961232344e-1) * z + 3.60344899949804439e-1) * z
                + 1.25781726111229246e-1) * z + 1.60837851487422766e-2) * z + 6.58749161529837803e-4);
            double den = (((((z + 2.56852019228982242e0) * z + 1.87295284992346725e0) * z + 5.27905102951428412e-1) * z
                + 6.05183413124413191e-2) * z + 2.33520497626869185e-3);
            erfc = Math.Exp(-ax * ax) / ax * (InvSqrt2Pi * Math.Sqrt(2) - z * num / den);
        }
        else erfc = 0;
        return x < 0 ? erfc - 1 : 1 - erfc;
    }

    public static void Relu(ReadOnlySpan<float> x, Span<float> dst) => TensorPrimitives.Max(x, 0f, dst);
}
