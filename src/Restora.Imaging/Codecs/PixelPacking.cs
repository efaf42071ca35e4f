using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Restora.Imaging.Codecs;

/// <summary>
/// Moves samples between the interleaved 8/16-bit buffers native codecs speak and <see cref="Image"/>'s planar floats.
/// These loops run over every sample of 8K images, so they are pointer loops with no allocation: decoding fills
/// one plane at a time (sequential writes of floats); encoding rounds in SIMD, which is where its time goes.
/// </summary>
internal static unsafe class PixelPacking
{
    private const float Inv255 = 1f / 255f;
    private const float Inv65535 = 1f / 65535f;

    /// <summary>Fills every plane of <paramref name="image"/> from the first image.Channels samples of each interleaved pixel.</summary>
    public static void ToPlanar(ReadOnlySpan<byte> interleaved, int stride, Image image)
    {
        CheckCovers(stride, image);
        CheckLength(interleaved.Length, stride, image);
        int n = image.PixelCount;
        fixed (byte* src0 = interleaved)
        fixed (float* dst0 = image.Data)
        {
            for (int c = 0; c < image.Channels; c++)
            {
                byte* src = src0 + c;
                float* dst = dst0 + (long)c * n;
                for (int i = 0; i < n; i++, src += stride)
                    dst[i] = *src * Inv255;
            }
        }
    }

    /// <summary>As <see cref="ToPlanar(ReadOnlySpan{byte}, int, Image)"/> for host-endian 16-bit samples.</summary>
    public static void ToPlanar(ReadOnlySpan<ushort> interleaved, int stride, Image image)
    {
        CheckCovers(stride, image);
        CheckLength(interleaved.Length, stride, image);
        int n = image.PixelCount;
        fixed (ushort* src0 = interleaved)
        fixed (float* dst0 = image.Data)
        {
            for (int c = 0; c < image.Channels; c++)
            {
                ushort* src = src0 + c;
                float* dst = dst0 + (long)c * n;
                for (int i = 0; i < n; i++, src += stride)
                    dst[i] = *src * Inv65535;
            }
        }
    }

    /// <summary>
    /// Writes interleaved 8-bit pixels whose channel k comes from plane <c>planeOf[k]</c>, so one loop serves
    /// straight copies ([0,1,2,3]), dropped alpha ([0,1,2]) and gray expanded to RGB ([0,0,0]).
    /// Samples are clamped and rounded exactly as <see cref="Image.ToCode"/> does.
    /// </summary>
    public static void FromPlanar(Image image, ReadOnlySpan<int> planeOf, Span<byte> interleaved) =>
        Interleave(image, planeOf, interleaved, 255);

    /// <summary>As <see cref="FromPlanar(Image, ReadOnlySpan{int}, Span{byte})"/> for host-endian 16-bit samples.</summary>
    public static void FromPlanar(Image image, ReadOnlySpan<int> planeOf, Span<ushort> interleaved) =>
        Interleave(image, planeOf, interleaved, 65535);

    /// <summary>
    /// Any layout as interleaved 8-bit RGBA, gray spread over RGB and alpha 255 where the image has none: what the
    /// animation encoders take, whatever a restore made of a frame.
    /// </summary>
    public static byte[] ToRgba8(Image image)
    {
        var rgba = GC.AllocateUninitializedArray<byte>(checked(image.PixelCount * 4));
        ReadOnlySpan<int> planes = image.Layout switch
        {
            PixelLayout.Gray => [0, 0, 0],
            PixelLayout.GrayAlpha => [0, 0, 0, 1],
            PixelLayout.Rgb => [0, 1, 2],
            _ => [0, 1, 2, 3],
        };
        if (image.HasAlpha)
        {
            FromPlanar(image, planes, rgba);
            return rgba;
        }
        var rgb = GC.AllocateUninitializedArray<byte>(image.PixelCount * 3);
        FromPlanar(image, planes, rgb);
        for (int i = 0, n = image.PixelCount; i < n; i++)
        {
            rgba[i * 4] = rgb[i * 3];
            rgba[i * 4 + 1] = rgb[i * 3 + 1];
            rgba[i * 4 + 2] = rgb[i * 3 + 2];
            rgba[i * 4 + 3] = 255;
        }
        return rgba;
    }

    private const int Chunk = 256;

    // Works in chunks of pixels: each plane's chunk is converted to integer codes with SIMD into a stack buffer
    // that stays in L1, then the codes are interleaved by a loop specialized per channel count.
    private static void Interleave<T>(Image image, ReadOnlySpan<int> planeOf, Span<T> interleaved, float max)
        where T : unmanaged, IBinaryInteger<T>
    {
        int stride = planeOf.Length;
        if (stride is < 1 or > 4) throw new ArgumentException($"cannot interleave {stride} channels", nameof(planeOf));
        CheckLength(interleaved.Length, stride, image);
        int n = image.PixelCount;
        float** planes = stackalloc float*[4];
        int* codes = stackalloc int[4 * Chunk];
        int* c0 = codes, c1 = codes + Chunk, c2 = codes + 2 * Chunk, c3 = codes + 3 * Chunk;
        fixed (float* data = image.Data)
        fixed (T* dst0 = interleaved)
        {
            for (int k = 0; k < stride; k++)
                planes[k] = data + (long)PlaneIndex(image, planeOf[k]) * n;
            for (int start = 0; start < n; start += Chunk)
            {
                int count = Math.Min(Chunk, n - start);
                for (int k = 0; k < stride; k++)
                    ToCodes(planes[k] + start, codes + k * Chunk, count, max);
                T* d = dst0 + (long)start * stride;
                switch (stride)
                {
                    case 1:
                        for (int i = 0; i < count; i++)
                            d[i] = T.CreateTruncating(c0[i]);
                        break;
                    case 2:
                        for (int i = 0; i < count; i++, d += 2)
                        {
                            d[0] = T.CreateTruncating(c0[i]);
                            d[1] = T.CreateTruncating(c1[i]);
                        }
                        break;
                    case 3:
                        for (int i = 0; i < count; i++, d += 3)
                        {
                            d[0] = T.CreateTruncating(c0[i]);
                            d[1] = T.CreateTruncating(c1[i]);
                            d[2] = T.CreateTruncating(c2[i]);
                        }
                        break;
                    default:
                        for (int i = 0; i < count; i++, d += 4)
                        {
                            d[0] = T.CreateTruncating(c0[i]);
                            d[1] = T.CreateTruncating(c1[i]);
                            d[2] = T.CreateTruncating(c2[i]);
                            d[3] = T.CreateTruncating(c3[i]);
                        }
                        break;
                }
            }
        }
    }

    /// <summary><see cref="Code"/> over a run of samples, eight at a time where the hardware allows.</summary>
    internal static void ToCodes(float* source, int* codes, int count, float max)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var scale = Vector256.Create(max);
            var half = Vector256.Create(0.5f);
            for (; i <= count - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var v = Vector256.Load(source + i) * scale + half;
                v &= Vector256.GreaterThan(v, Vector256<float>.Zero); // lanes <= 0, and NaN, become +0
                v = Vector256.ConditionalSelect(Vector256.LessThan(v, scale), v, scale);
                Vector256.ConvertToInt32(v).Store(codes + i);
            }
        }
        for (; i < count; i++)
            codes[i] = Code(source[i], max);
    }

    /// <summary>
    /// <see cref="Image.ToCode"/> restated as a clamp: clamping value*max + 0.5 to 0..max and truncating gives the
    /// same code for every input (NaN fails the first comparison and becomes 0), which vectorizes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int Code(float value, float max)
    {
        float v = value * max + 0.5f;
        v = v > 0f ? v : 0f;
        v = v < max ? v : max;
        return (int)v;
    }

    /// <summary>
    /// CMYK pixels to an RGB image. JPEGs written by Adobe software (those with an APP14 "Adobe" marker, which
    /// libjpeg also writes for CMYK) store the channels inverted, 255 meaning no ink; others store ink amounts.
    /// Without a color profile the naive product is the best available: R = (1-C)(1-K), etc.
    /// </summary>
    public static void CmykToPlanarRgb(ReadOnlySpan<byte> cmyk, bool inverted, Image rgb)
    {
        if (rgb.Layout != PixelLayout.Rgb)
            throw new ArgumentException($"CMYK converts to an Rgb image, not {rgb.Layout}", nameof(rgb));
        CheckLength(cmyk.Length, 4, rgb);
        int n = rgb.PixelCount;
        // Not-inverted samples are flipped to the inverted form first: x -> 255 - x is (x ^ 255) for bytes.
        int flip = inverted ? 0 : 255;
        const float scale = 1f / (255f * 255f);
        fixed (byte* src0 = cmyk)
        fixed (float* dst0 = rgb.Data)
        {
            for (int c = 0; c < 3; c++)
            {
                byte* src = src0;
                float* dst = dst0 + (long)c * n;
                for (int i = 0; i < n; i++, src += 4)
                    dst[i] = (src[c] ^ flip) * (src[3] ^ flip) * scale;
            }
        }
    }

    private static int PlaneIndex(Image image, int plane) =>
        (uint)plane < (uint)image.Channels
            ? plane
            : throw new ArgumentOutOfRangeException(nameof(plane), $"plane {plane} of a {image.Layout} image");

    private static void CheckLength(int length, int stride, Image image)
    {
        if (length < (long)image.PixelCount * stride)
            throw new ArgumentException(
                $"an interleaved buffer of {length} samples with {stride} per pixel does not fit a {image}");
    }

    private static void CheckCovers(int stride, Image image)
    {
        if (stride < image.Channels)
            throw new ArgumentException($"{stride} interleaved channels cannot fill a {image}");
    }
}
