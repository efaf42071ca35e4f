using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Restora.Core.Kernels;

/// <summary>Which instruction set a conv kernel runs on. Tests force each one; production code uses <see cref="Conv2d.BestPath"/>.</summary>
internal enum ConvPath
{
    Vector512,
    /// <summary>256-bit vectors with the register blocks this machine affords (32 registers under AVX-512VL, else 16).</summary>
    Vector256,
    /// <summary>256-bit vectors with the 16-register blocks of a plain AVX2 machine, whatever this machine has: lets tests cover them.</summary>
    Vector256SixteenRegisters,
    Scalar,
}

/// <summary>
/// The handful of vector operations the conv micro-kernels need. The kernels are generic over a struct
/// implementing this, so the JIT emits one fully inlined copy per instruction set from a single source:
/// the Vector512, Vector256 and scalar paths cannot drift apart.
/// </summary>
internal unsafe interface ISimd<TVec> where TVec : unmanaged
{
    static abstract int Width { get; }
    /// <summary>Whether 32 vector registers are available; otherwise 16, and the kernels pick smaller register blocks.</summary>
    static abstract bool ManyRegisters { get; }
    static abstract TVec Zero { get; }
    static abstract TVec Load(float* p);
    static abstract void Store(float* p, TVec v);
    /// <summary>Takes a pointer rather than a value so the JIT can fold it into an embedded-broadcast FMA operand.</summary>
    static abstract TVec Broadcast(float* p);
    /// <summary>a * b + c.</summary>
    static abstract TVec MulAdd(TVec a, TVec b, TVec c);
    /// <summary>Sum of the lanes, always in the same order.</summary>
    static abstract float Sum(TVec v);
    static abstract TVec Add(TVec a, TVec b);
    static abstract TVec Subtract(TVec a, TVec b);
    static abstract TVec Max(TVec a, TVec b);
    static abstract TVec Create(float value);
    /// <summary>Splits the 4·Width consecutive floats a, b, c, d into their four phases: phase j lane t is element 4t + j.</summary>
    static abstract void Deinterleave4(TVec a, TVec b, TVec c, TVec d, out TVec p0, out TVec p1, out TVec p2, out TVec p3);
    /// <summary>The inverse of <see cref="Deinterleave4"/>.</summary>
    static abstract void Interleave4(TVec p0, TVec p1, TVec p2, TVec p3, out TVec a, out TVec b, out TVec c, out TVec d);
}

internal readonly unsafe struct Simd512 : ISimd<Vector512<float>>
{
    public static int Width => Vector512<float>.Count;
    public static bool ManyRegisters => true;
    public static Vector512<float> Zero => Vector512<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Load(float* p) => Vector512.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, Vector512<float> v) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Broadcast(float* p) => Vector512.Create(*p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MulAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vector512<float> v) => Vector512.Sum(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Subtract(Vector512<float> a, Vector512<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Max(Vector512<float> a, Vector512<float> b) => Vector512.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Create(float value) => Vector512.Create(value);

    // Two rounds of two-source permutes (vpermt2ps): evens/odds of each pair of vectors, then of the results.
    static readonly Vector512<int> Evens = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    static readonly Vector512<int> Odds = Vector512.Create(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    static readonly Vector512<int> ZipLow = Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    static readonly Vector512<int> ZipHigh = Vector512.Create(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Deinterleave4(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d,
        out Vector512<float> p0, out Vector512<float> p1, out Vector512<float> p2, out Vector512<float> p3)
    {
        var evenAB = Avx512F.PermuteVar16x32x2(a, Evens, b);
        var oddAB = Avx512F.PermuteVar16x32x2(a, Odds, b);
        var evenCD = Avx512F.PermuteVar16x32x2(c, Evens, d);
        var oddCD = Avx512F.PermuteVar16x32x2(c, Odds, d);
        p0 = Avx512F.PermuteVar16x32x2(evenAB, Evens, evenCD);
        p2 = Avx512F.PermuteVar16x32x2(evenAB, Odds, evenCD);
        p1 = Avx512F.PermuteVar16x32x2(oddAB, Evens, oddCD);
        p3 = Avx512F.PermuteVar16x32x2(oddAB, Odds, oddCD);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Interleave4(Vector512<float> p0, Vector512<float> p1, Vector512<float> p2, Vector512<float> p3,
        out Vector512<float> a, out Vector512<float> b, out Vector512<float> c, out Vector512<float> d)
    {
        var evenLow = Avx512F.PermuteVar16x32x2(p0, ZipLow, p2);
        var evenHigh = Avx512F.PermuteVar16x32x2(p0, ZipHigh, p2);
        var oddLow = Avx512F.PermuteVar16x32x2(p1, ZipLow, p3);
        var oddHigh = Avx512F.PermuteVar16x32x2(p1, ZipHigh, p3);
        a = Avx512F.PermuteVar16x32x2(evenLow, ZipLow, oddLow);
        b = Avx512F.PermuteVar16x32x2(evenLow, ZipHigh, oddLow);
        c = Avx512F.PermuteVar16x32x2(evenHigh, ZipLow, oddHigh);
        d = Avx512F.PermuteVar16x32x2(evenHigh, ZipHigh, oddHigh);
    }
}

internal readonly unsafe struct Simd256 : ISimd<Vector256<float>>
{
    public static int Width => Vector256<float>.Count;
    /// <summary>AVX-512VL gives 256-bit code the upper 16 registers too; plain AVX2 has 16.</summary>
    public static bool ManyRegisters => Avx512F.VL.IsSupported;
    public static Vector256<float> Zero => Vector256<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Load(float* p) => Vector256.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, Vector256<float> v) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Broadcast(float* p) => Vector256.Create(*p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MulAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vector256<float> v) => Vector256.Sum(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Subtract(Vector256<float> a, Vector256<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Max(Vector256<float> a, Vector256<float> b) => Vector256.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Create(float value) => Vector256.Create(value);

    // Through a stack copy: the 256-bit paths run only on machines without AVX-512, where this is not the bottleneck.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Deinterleave4(Vector256<float> a, Vector256<float> b, Vector256<float> c, Vector256<float> d,
        out Vector256<float> p0, out Vector256<float> p1, out Vector256<float> p2, out Vector256<float> p3)
    {
        float* p = stackalloc float[32], t = stackalloc float[32];
        a.Store(p); b.Store(p + 8); c.Store(p + 16); d.Store(p + 24);
        for (int i = 0; i < 8; i++) { t[i] = p[4 * i]; t[8 + i] = p[4 * i + 1]; t[16 + i] = p[4 * i + 2]; t[24 + i] = p[4 * i + 3]; }
        p0 = Vector256.Load(t); p1 = Vector256.Load(t + 8); p2 = Vector256.Load(t + 16); p3 = Vector256.Load(t + 24);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Interleave4(Vector256<float> p0, Vector256<float> p1, Vector256<float> p2, Vector256<float> p3,
        out Vector256<float> a, out Vector256<float> b, out Vector256<float> c, out Vector256<float> d)
    {
        float* p = stackalloc float[32], t = stackalloc float[32];
        p0.Store(t); p1.Store(t + 8); p2.Store(t + 16); p3.Store(t + 24);
        for (int i = 0; i < 8; i++) { p[4 * i] = t[i]; p[4 * i + 1] = t[8 + i]; p[4 * i + 2] = t[16 + i]; p[4 * i + 3] = t[24 + i]; }
        a = Vector256.Load(p); b = Vector256.Load(p + 8); c = Vector256.Load(p + 16); d = Vector256.Load(p + 24);
    }
}

/// <summary><see cref="Simd256"/> restricted to the 16-register blocks, as on AVX2 machines without AVX-512.</summary>
internal readonly unsafe struct Simd256SixteenRegisters : ISimd<Vector256<float>>
{
    public static int Width => Vector256<float>.Count;
    public static bool ManyRegisters => false;
    public static Vector256<float> Zero => Vector256<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Load(float* p) => Simd256.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, Vector256<float> v) => Simd256.Store(p, v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Broadcast(float* p) => Simd256.Broadcast(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MulAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Simd256.MulAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vector256<float> v) => Simd256.Sum(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Subtract(Vector256<float> a, Vector256<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Max(Vector256<float> a, Vector256<float> b) => Vector256.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Create(float value) => Vector256.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Deinterleave4(Vector256<float> a, Vector256<float> b, Vector256<float> c, Vector256<float> d,
        out Vector256<float> p0, out Vector256<float> p1, out Vector256<float> p2, out Vector256<float> p3) =>
        Simd256.Deinterleave4(a, b, c, d, out p0, out p1, out p2, out p3);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Interleave4(Vector256<float> p0, Vector256<float> p1, Vector256<float> p2, Vector256<float> p3,
        out Vector256<float> a, out Vector256<float> b, out Vector256<float> c, out Vector256<float> d) =>
        Simd256.Interleave4(p0, p1, p2, p3, out a, out b, out c, out d);
}

/// <summary>One-lane "vector": the same blocked algorithm in plain C#, for machines without SIMD support.</summary>
internal readonly unsafe struct SimdScalar : ISimd<float>
{
    public static int Width => 1;
    /// <summary>Takes the 16-register blocks: portable code should not count on more, and tests cover those blocks through this path.</summary>
    public static bool ManyRegisters => false;
    public static float Zero => 0f;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Load(float* p) => *p;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, float v) => *p = v;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Broadcast(float* p) => *p;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float MulAdd(float a, float b, float c) => a * b + c;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(float v) => v;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Add(float a, float b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Subtract(float a, float b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Max(float a, float b) => MathF.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Create(float value) => value;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Deinterleave4(float a, float b, float c, float d, out float p0, out float p1, out float p2, out float p3)
    {
        p0 = a; p1 = b; p2 = c; p3 = d;
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Interleave4(float p0, float p1, float p2, float p3, out float a, out float b, out float c, out float d)
    {
        a = p0; b = p1; c = p2; d = p3;
    }
}
