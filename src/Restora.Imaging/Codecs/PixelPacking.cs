namespace Restora.Imaging.Codecs;

/// <summary>
/// Moves samples between the interleaved 8/16-bit buffers native codecs speak and <see cref="Image"/>'s planar floats.
/// These loops run over every sample of 8K images, so they are plain pointer loops, one plane at a time
/// (sequential writes), with no allocation.
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
    /// Samples are clamped and rounded as <see cref="Image.ToCode"/> does.
    /// </summary>
    public static void FromPlanar(Image image, ReadOnlySpan<int> planeOf, Span<byte> interleaved)
    {
        int stride = planeOf.Length;
        CheckLength(interleaved.Length, stride, image);
        int n = image.PixelCount;
        fixed (float* src0 = image.Data)
        fixed (byte* dst0 = interleaved)
        {
            for (int k = 0; k < stride; k++)
            {
                float* src = src0 + (long)PlaneIndex(image, planeOf[k]) * n;
                byte* dst = dst0 + k;
                for (int i = 0; i < n; i++, dst += stride)
                    *dst = (byte)Image.ToCode(src[i], 255);
            }
        }
    }

    /// <summary>As <see cref="FromPlanar(Image, ReadOnlySpan{int}, Span{byte})"/> for host-endian 16-bit samples.</summary>
    public static void FromPlanar(Image image, ReadOnlySpan<int> planeOf, Span<ushort> interleaved)
    {
        int stride = planeOf.Length;
        CheckLength(interleaved.Length, stride, image);
        int n = image.PixelCount;
        fixed (float* src0 = image.Data)
        fixed (ushort* dst0 = interleaved)
        {
            for (int k = 0; k < stride; k++)
            {
                float* src = src0 + (long)PlaneIndex(image, planeOf[k]) * n;
                ushort* dst = dst0 + k;
                for (int i = 0; i < n; i++, dst += stride)
                    *dst = (ushort)Image.ToCode(src[i], 65535);
            }
        }
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
