using System.Runtime.InteropServices;
using static Restora.Imaging.Codecs.TurboJpegNative;

namespace Restora.Imaging.Codecs;

/// <summary>
/// JPEG through TurboJPEG. Gray JPEGs decode to Gray, everything else to Rgb (CMYK/YCCK converted naively,
/// see <see cref="PixelPacking.CmykToPlanarRgb"/>). Encoding writes gray images as single-channel JPEGs and
/// drops alpha. libjpeg's accurate integer DCT and smooth chroma upsampling are used (TurboJPEG's defaults),
/// matching what PIL and OpenCV produce.
/// </summary>
internal static unsafe class JpegCodec
{
    public static Image Decode(ReadOnlySpan<byte> jpeg, DecodeOptions options)
    {
        using var tj = TurboJpegHandle.CreateDecompressor();
        fixed (byte* data = jpeg)
        {
            var size = new CULong((nuint)jpeg.Length);
            int width, height, subsampling, colorspace;
            if (tjDecompressHeader3(tj, data, size, &width, &height, &subsampling, &colorspace) != 0)
                throw Failure(tj);
            PixelLimit.Check("JPEG", width, height, options);

            var (pixelFormat, samples, layout) = colorspace switch
            {
                ColorspaceGray => (PixelGray, 1, PixelLayout.Gray),
                ColorspaceCmyk or ColorspaceYcck => (PixelCmyk, 4, PixelLayout.Rgb),
                _ => (PixelRgb, 3, PixelLayout.Rgb),
            };
            var pixels = GC.AllocateUninitializedArray<byte>(PixelLimit.BufferLength(width, height, samples, 1, "JPEG"));
            fixed (byte* p = pixels)
            {
                if (tjDecompress2(tj, data, size, p, width, 0, height, pixelFormat, 0) != 0)
                    ThrowUnlessHarmless(tj);
            }

            var image = new Image(width, height, layout, bitDepth: 8) { Metadata = JpegMetadata.Read(jpeg) };
            if (pixelFormat == PixelCmyk)
                PixelPacking.CmykToPlanarRgb(pixels, JpegMarkers.HasAdobeMarker(jpeg), image);
            else
                PixelPacking.ToPlanar(pixels, samples, image);
            return image;
        }
    }

    /// <summary>Width and height from the frame header, without decoding the scans.</summary>
    public static (int Width, int Height) ReadSize(ReadOnlySpan<byte> jpeg)
    {
        using var tj = TurboJpegHandle.CreateDecompressor();
        fixed (byte* data = jpeg)
        {
            int width, height, subsampling, colorspace;
            if (tjDecompressHeader3(tj, data, new CULong((nuint)jpeg.Length), &width, &height, &subsampling, &colorspace) != 0)
                throw Failure(tj);
            return (width, height);
        }
    }

    public static byte[] Encode(Image image, EncodeOptions options, ImageMetadata? metadata)
    {
        if (options.Quality is < 1 or > 100)
            throw new ArgumentOutOfRangeException(nameof(options), $"JPEG quality must be 1..100, got {options.Quality}");
        bool gray = image.IsGray;
        ReadOnlySpan<int> planes = gray ? [0] : [0, 1, 2]; // alpha, if any, is left out
        int pixelFormat = gray ? PixelGray : PixelRgb;
        int subsampling = gray ? SampGray : options.Subsampling == ChromaSubsampling.Yuv420 ? Samp420 : Samp444;

        var pixels = GC.AllocateUninitializedArray<byte>(checked(image.PixelCount * planes.Length));
        PixelPacking.FromPlanar(image, planes, pixels);

        using var tj = TurboJpegHandle.CreateCompressor();
        nint output = 0;
        CULong size = default;
        try
        {
            int result;
            fixed (byte* p = pixels)
                result = tjCompress2(tj, p, image.Width, 0, image.Height, pixelFormat, &output, &size,
                    subsampling, options.Quality, 0);
            if (result != 0)
                throw new ImageFormatException($"JPEG encoding failed: {ErrorText(tj)}");
            return JpegMetadata.Embed(new ReadOnlySpan<byte>((void*)output, checked((int)size.Value)).ToArray(), metadata);
        }
        finally
        {
            // TurboJPEG may have allocated the output even when compression failed.
            new TurboJpegBufferHandle(output).Dispose();
        }
    }

    /// <summary>
    /// tjDecompress2 returns -1 for warnings too, with the image fully decoded. A file that ends early or whose
    /// entropy-coded data is damaged yields wrong pixels, so those are refused; warnings about stray bytes
    /// between markers or a bad ICC marker are common in camera files and leave the pixels intact, so those pass.
    /// Only the last message is available, which for a truncated file is the end-of-file one.
    /// </summary>
    private static void ThrowUnlessHarmless(TurboJpegHandle tj)
    {
        if (tjGetErrorCode(tj) != ErrorWarning) throw Failure(tj);
        string text = ErrorText(tj);
        if (text.Contains("premature end", StringComparison.OrdinalIgnoreCase))
            throw new ImageFormatException($"truncated JPEG: {text}");
        bool harmless = text.Contains("extraneous bytes", StringComparison.Ordinal)
                        || text.Contains("bad ICC marker", StringComparison.Ordinal);
        if (text.StartsWith("Corrupt JPEG data", StringComparison.Ordinal) && !harmless)
            throw new ImageFormatException($"corrupt JPEG: {text}");
    }

    private static ImageFormatException Failure(TurboJpegHandle tj)
    {
        string text = ErrorText(tj);
        return new ImageFormatException(text.Contains("premature end", StringComparison.OrdinalIgnoreCase)
            ? $"truncated JPEG: {text}"
            : $"cannot decode JPEG: {text}"); // libjpeg's own words say whether it is damage or an unsupported variant
    }
}

/// <summary>Reads JPEG marker segments ahead of the image data; decoding itself is TurboJPEG's.</summary>
internal static class JpegMarkers
{
    /// <summary>Whether an APP14 segment starting "Adobe" precedes the first scan: such files store CMYK inverted.</summary>
    public static bool HasAdobeMarker(ReadOnlySpan<byte> jpeg)
    {
        int i = 2; // after SOI
        while (i + 4 <= jpeg.Length)
        {
            if (jpeg[i] != 0xFF) return false;
            byte marker = jpeg[i + 1];
            if (marker == 0xFF) { i++; continue; }             // fill byte
            if (marker == 0xDA || marker == 0xD9) return false; // start of scan / end of image
            if (marker == 0x01 || marker is >= 0xD0 and <= 0xD7) { i += 2; continue; } // no length
            int length = jpeg[i + 2] << 8 | jpeg[i + 3];
            if (marker == 0xEE && length >= 7 && i + 9 <= jpeg.Length && jpeg.Slice(i + 4, 5).SequenceEqual("Adobe"u8))
                return true;
            i += 2 + length;
        }
        return false;
    }
}
