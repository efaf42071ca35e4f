using System.Runtime.InteropServices;
using static Restora.Imaging.Codecs.SpngNative;

namespace Restora.Imaging.Codecs;

/// <summary>
/// PNG through libspng. Every color type decodes: palettes expand to RGB (RGBA when a tRNS chunk gives them
/// transparency), 1/2/4-bit gray expands to 8-bit, 16-bit stays 16-bit. A tRNS chunk on a gray or RGB image
/// is turned into an alpha channel (GrayAlpha/Rgba), so transparent pixels stay transparent.
/// </summary>
internal static unsafe class PngCodec
{
    public static Image Decode(ReadOnlySpan<byte> png, DecodeOptions options)
    {
        using var ctx = SpngContextHandle.Create(encoder: false);
        fixed (byte* data = png)
        {
            // libspng reads straight from this pinned span until the context is freed.
            Check(spng_set_png_buffer(ctx, data, (nuint)png.Length));
            Ihdr ihdr;
            Check(spng_get_ihdr(ctx, &ihdr));
            PixelLimit.Check("PNG", ihdr.Width, ihdr.Height, options);

            Trns trns;
            int trnsResult = spng_get_trns(ctx, &trns);
            if (trnsResult != 0 && trnsResult != EChunkAvail) Check(trnsResult);
            var output = OutputFor(ihdr, hasTrns: trnsResult == 0);

            int width = (int)ihdr.Width, height = (int)ihdr.Height;
            int bytesPerSample = output.BitDepth / 8;
            int length = PixelLimit.BufferLength(width, height, output.Channels, bytesPerSample, "PNG");
            nuint expected;
            Check(spng_decoded_image_size(ctx, output.Format, &expected));
            if (expected != (nuint)length)
                throw new InvalidOperationException($"libspng wants {expected} bytes for format {output.Format}, expected {length}");

            var pixels = GC.AllocateUninitializedArray<byte>(length);
            fixed (byte* p = pixels)
                Check(spng_decode_image(ctx, p, (nuint)length, output.Format, output.Flags));

            var image = new Image(width, height, output.Layout, output.BitDepth) { Metadata = PngMetadata.Read(ctx) };
            if (output.BitDepth == 16)
                PixelPacking.ToPlanar(MemoryMarshal.Cast<byte, ushort>(pixels), output.Channels, image);
            else
                PixelPacking.ToPlanar(pixels, output.Channels, image);
            return image;
        }
    }

    /// <summary>Width and height from the IHDR chunk, without decoding anything else.</summary>
    public static (int Width, int Height) ReadSize(ReadOnlySpan<byte> png)
    {
        using var ctx = SpngContextHandle.Create(encoder: false);
        fixed (byte* data = png)
        {
            Check(spng_set_png_buffer(ctx, data, (nuint)png.Length));
            Ihdr ihdr;
            Check(spng_get_ihdr(ctx, &ihdr));
            return ((int)ihdr.Width, (int)ihdr.Height);
        }
    }

    public static byte[] Encode(Image image, int bitDepth, ImageMetadata? metadata)
    {
        var ihdr = new Ihdr
        {
            Width = (uint)image.Width,
            Height = (uint)image.Height,
            BitDepth = (byte)bitDepth,
            ColorType = image.Layout switch
            {
                PixelLayout.Gray => ColorGray,
                PixelLayout.GrayAlpha => ColorGrayAlpha,
                PixelLayout.Rgb => ColorRgb,
                _ => ColorRgba,
            },
        };
        ReadOnlySpan<int> planes = [0, 1, 2, 3];
        planes = planes[..image.Channels];
        int length = checked(image.PixelCount * image.Channels * (bitDepth / 8));
        var pixels = GC.AllocateUninitializedArray<byte>(length);
        // SPNG_FMT_PNG takes 16-bit samples in host order and writes them big-endian, as PNG requires.
        if (bitDepth == 16)
            PixelPacking.FromPlanar(image, planes, MemoryMarshal.Cast<byte, ushort>(pixels.AsSpan()));
        else
            PixelPacking.FromPlanar(image, planes, pixels);

        using var ctx = SpngContextHandle.Create(encoder: true);
        Check(spng_set_option(ctx, OptionEncodeToBuffer, 1));
        Check(spng_set_ihdr(ctx, &ihdr));
        PngMetadata.WriteThen(ctx, metadata, () =>
        {
            fixed (byte* p = pixels)
                Check(spng_encode_image(ctx, p, (nuint)length, FmtPng, EncodeFinalize));
        });
        return TakeBuffer(ctx);
    }

    internal static byte[] TakeBuffer(SpngContextHandle ctx)
    {
        nuint size;
        int error;
        using var buffer = new SpngBufferHandle(spng_get_png_buffer(ctx, &size, &error));
        if (buffer.IsInvalid) Check(error != 0 ? error : EEof);
        return new ReadOnlySpan<byte>((void*)buffer.DangerousGetHandle(), checked((int)size)).ToArray();
    }

    private readonly record struct Output(int Format, int Flags, PixelLayout Layout, int BitDepth)
    {
        public int Channels => (int)Layout;
    }

    private static Output OutputFor(in Ihdr ihdr, bool hasTrns)
    {
        bool deep = ihdr.BitDepth == 16;
        return ihdr.ColorType switch
        {
            // SPNG_FMT_PNG would leave 1/2/4-bit samples packed; G8/GA8 scale them to 0..255.
            ColorGray when hasTrns => deep ? new(FmtGa16, DecodeTrns, PixelLayout.GrayAlpha, 16)
                                           : new(FmtGa8, DecodeTrns, PixelLayout.GrayAlpha, 8),
            ColorGray => deep ? new(FmtPng, 0, PixelLayout.Gray, 16) : new(FmtG8, 0, PixelLayout.Gray, 8),
            ColorRgb when hasTrns => deep ? new(FmtRgba16, DecodeTrns, PixelLayout.Rgba, 16)
                                          : new(FmtRgba8, DecodeTrns, PixelLayout.Rgba, 8),
            ColorIndexed when hasTrns => new(FmtRgba8, DecodeTrns, PixelLayout.Rgba, 8),
            ColorIndexed => new(FmtRgb8, 0, PixelLayout.Rgb, 8),
            ColorGrayAlpha => new(FmtPng, 0, PixelLayout.GrayAlpha, deep ? 16 : 8),
            ColorRgb => new(FmtPng, 0, PixelLayout.Rgb, deep ? 16 : 8),
            ColorRgba => new(FmtPng, 0, PixelLayout.Rgba, deep ? 16 : 8),
            _ => throw new ImageFormatException($"corrupt PNG: color type {ihdr.ColorType}"),
        };
    }

    private static void Check(int result)
    {
        if (result == 0) return;
        string text = ErrorText(result);
        throw new ImageFormatException(result is IoEof or EEof or EIdatTooShort
            ? $"truncated PNG: {text}"
            : $"corrupt PNG: {text}");
    }
}
