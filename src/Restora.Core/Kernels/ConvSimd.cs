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
}
