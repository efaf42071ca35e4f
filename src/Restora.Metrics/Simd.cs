using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Restora.Metrics;

/// <summary>Which vector width the kernels run at. Every level gives the same bits (see <see cref="ILanes{TVec}"/>).</summary>
internal enum SimdLevel
{
    Scalar,
    Vector256,
    Vector512,
}

internal static class Simd
{
    /// <summary>The widest width the hardware accelerates.</summary>
    public static SimdLevel Best { get; } =
        Vector512.IsHardwareAccelerated ? SimdLevel.Vector512 :
        Vector256.IsHardwareAccelerated ? SimdLevel.Vector256 :
        SimdLevel.Scalar;

    /// <summary>
    /// Sum with an order fixed by definition, not by the vector width: eight interleaved partial sums
    /// (element i goes to lane i % 8) over the largest multiple of 8, combined as
    /// ((s0+s1)+(s2+s3))+((s4+s5)+(s6+s7)), then the remaining elements added one by one. The 512-bit,
    /// 256-bit and scalar code below all perform exactly these additions, so results agree to the bit
    /// while the vector paths still break the add-latency chain.
    /// </summary>
    public static double SumFixedOrder(ReadOnlySpan<double> values, SimdLevel level)
    {
        int blocked = values.Length & ~7;
        ref double v = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(values);
        double s0, s1, s2, s3, s4, s5, s6, s7;
        if (level == SimdLevel.Vector512 && blocked > 0)
        {
            var acc = Vector512<double>.Zero;
            for (int i = 0; i < blocked; i += 8)
                acc += Vector512.LoadUnsafe(ref v, (nuint)i);
            (s0, s1, s2, s3, s4, s5, s6, s7) = (acc[0], acc[1], acc[2], acc[3], acc[4], acc[5], acc[6], acc[7]);
        }
        else if (level >= SimdLevel.Vector256 && blocked > 0)
        {
            var lo = Vector256<double>.Zero;
            var hi = Vector256<double>.Zero;
            for (int i = 0; i < blocked; i += 8)
            {
                lo += Vector256.LoadUnsafe(ref v, (nuint)i);
                hi += Vector256.LoadUnsafe(ref v, (nuint)(i + 4));
            }
            (s0, s1, s2, s3, s4, s5, s6, s7) = (lo[0], lo[1], lo[2], lo[3], hi[0], hi[1], hi[2], hi[3]);
        }
        else
        {
            s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = 0;
            for (int i = 0; i < blocked; i += 8)
            {
                s0 += Unsafe.Add(ref v, i); s1 += Unsafe.Add(ref v, i + 1);
                s2 += Unsafe.Add(ref v, i + 2); s3 += Unsafe.Add(ref v, i + 3);
                s4 += Unsafe.Add(ref v, i + 4); s5 += Unsafe.Add(ref v, i + 5);
                s6 += Unsafe.Add(ref v, i + 6); s7 += Unsafe.Add(ref v, i + 7);
            }
        }
        double total = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
        for (int i = blocked; i < values.Length; i++) total += Unsafe.Add(ref v, i);
        return total;
    }

    /// <summary>float → double, vectorized (a plain loop is a noticeable share of a fast SSIM).</summary>
    public static void Widen(ReadOnlySpan<float> source, Span<double> destination)
    {
        if (destination.Length < source.Length) throw new ArgumentException("destination too short");
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref float s = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(source);
            ref double d = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(destination);
            for (; i + 8 <= source.Length; i += 8)
            {
                var (lower, upper) = Vector256.Widen(Vector256.LoadUnsafe(ref s, (nuint)i));
                lower.StoreUnsafe(ref d, (nuint)i);
                upper.StoreUnsafe(ref d, (nuint)(i + 4));
            }
        }
        for (; i < source.Length; i++) destination[i] = source[i];
    }
}

/// <summary>
/// The few operations the SSIM kernels need, over a vector type of <see cref="Count"/> doubles. Kernels are
/// written once, generic over this interface, and the JIT specializes them per struct (no virtual calls).
/// All implementations round identically per lane (fused multiply-add is one rounding everywhere, the
/// scalar path uses <see cref="Math.FusedMultiplyAdd"/>), which is what makes vector and scalar results
/// bitwise equal.
/// </summary>
internal interface ILanes<TVec> where TVec : struct
{
    static abstract int Count { get; }
    /// <summary>Count doubles starting at <paramref name="source"/> (unaligned).</summary>
    static abstract TVec Load(ref double source);
    static abstract void Store(TVec value, ref double destination);
    static abstract TVec Splat(double value);
    /// <summary>a * b + c with a single rounding.</summary>
    static abstract TVec Fma(TVec a, TVec b, TVec c);
    static abstract TVec Add(TVec a, TVec b);
    static abstract TVec Sub(TVec a, TVec b);
    static abstract TVec Mul(TVec a, TVec b);
    static abstract TVec Div(TVec a, TVec b);
    /// <summary>Correctly rounded square root (IEEE), so every width agrees.</summary>
    static abstract TVec Sqrt(TVec a);
    static abstract TVec Abs(TVec a);
}

internal readonly struct Lanes512 : ILanes<Vector512<double>>
{
    public static int Count => Vector512<double>.Count;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Load(ref double s) => Vector512.LoadUnsafe(ref s);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector512<double> v, ref double d) => v.StoreUnsafe(ref d);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Splat(double x) => Vector512.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Fma(Vector512<double> a, Vector512<double> b, Vector512<double> c) => Vector512.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Add(Vector512<double> a, Vector512<double> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Sub(Vector512<double> a, Vector512<double> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Mul(Vector512<double> a, Vector512<double> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Div(Vector512<double> a, Vector512<double> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Sqrt(Vector512<double> a) => Vector512.Sqrt(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Abs(Vector512<double> a) => Vector512.Abs(a);
}

internal readonly struct Lanes256 : ILanes<Vector256<double>>
{
    public static int Count => Vector256<double>.Count;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> Load(ref double s) => Vector256.LoadUnsafe(ref s);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector256<double> v, ref double d) => v.StoreUnsafe(ref d);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> Splat(double x) => Vector256.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> Fma(Vector256<double> a, Vector256<double> b, Vector256<double> c) => Vector256.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> Add(Vector256<double> a, Vector256<double> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> Sub(Vector256<double> a, Vector256<double> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> Mul(Vector256<double> a, Vector256<double> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> Div(Vector256<double> a, Vector256<double> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> Sqrt(Vector256<double> a) => Vector256.Sqrt(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> Abs(Vector256<double> a) => Vector256.Abs(a);
}

internal readonly struct LanesScalar : ILanes<double>
{
    public static int Count => 1;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static double Load(ref double s) => s;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(double v, ref double d) => d = v;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static double Splat(double x) => x;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static double Fma(double a, double b, double c) => Math.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static double Add(double a, double b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static double Sub(double a, double b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static double Mul(double a, double b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static double Div(double a, double b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static double Sqrt(double a) => Math.Sqrt(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static double Abs(double a) => Math.Abs(a);
}
