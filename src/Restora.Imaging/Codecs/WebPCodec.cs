using static Restora.Imaging.Codecs.WebPNative;

namespace Restora.Imaging.Codecs;

/// <summary>
/// WebP through libwebp: lossy and lossless, with or without alpha. WebP has no gray mode, so gray images are
/// written as RGB (and read back as Rgb). Animated WebP is refused.
/// </summary>
internal static unsafe class WebPCodec
{
    public static Image Decode(ReadOnlySpan<byte> webp, DecodeOptions options)
    {
        DecoderConfig config;
        if (WebPInitDecoderConfigInternal(&config, DecoderAbi) == 0)
            throw new InvalidOperationException("libwebp rejected decoder ABI version 0x0209");
        fixed (byte* data = webp)
        {
            var size = (nuint)webp.Length;
            Check(WebPGetFeaturesInternal(data, size, &config, DecoderAbi));
            if (config.HasAnimation != 0)
                throw new ImageFormatException("animated WebP is not supported");
            PixelLimit.Check("WebP", config.Width, config.Height, options);

            int width = config.Width, height = config.Height;
            bool alpha = config.HasAlpha != 0;
            int samples = alpha ? 4 : 3;
            var pixels = GC.AllocateUninitializedArray<byte>(PixelLimit.BufferLength(width, height, samples, 1, "WebP"));
            fixed (byte* p = pixels)
            {
                config.OutputColorspace = alpha ? ModeRgba : ModeRgb;
                config.OutputIsExternalMemory = 1;
                config.OutputRgba = p;
                config.OutputStride = width * samples;
                config.OutputSize = (nuint)pixels.Length;
                int status = WebPDecode(data, size, &config);
                WebPFreeDecBuffer((byte*)&config + 40);
                Check(status);
            }

            var image = new Image(width, height, alpha ? PixelLayout.Rgba : PixelLayout.Rgb, bitDepth: 8) { Metadata = WebPMetadata.Read(webp) };
            PixelPacking.ToPlanar(pixels, samples, image);
            return image;
        }
    }

    /// <summary>Width and height from the bitstream headers, without decoding the image.</summary>
    public static (int Width, int Height) ReadSize(ReadOnlySpan<byte> webp)
    {
        DecoderConfig config;
        fixed (byte* data = webp)
            Check(WebPGetFeaturesInternal(data, (nuint)webp.Length, &config, DecoderAbi));
        return (config.Width, config.Height);
    }

    /// <summary>The encoder settings for these options, validated (the still and the animation encoders share them).</summary>
    internal static EncoderConfig Config(EncodeOptions options)
    {
        if (options.Quality is < 0 or > 100)
            throw new ArgumentOutOfRangeException(nameof(options), $"WebP quality must be 0..100, got {options.Quality}");

        EncoderConfig config;
        if (WebPConfigInitInternal(&config, PresetDefault, options.Quality, EncoderAbi) == 0)
            throw new InvalidOperationException("libwebp rejected encoder ABI version 0x020f");
        if (options.Lossless)
        {
            // Level 6 is cwebp's default lossless effort; exact keeps RGB under alpha 0, so decode(encode(x)) == x.
            WebPConfigLosslessPreset(&config, 6);
            config.Exact = 1;
        }
        if (WebPValidateConfig(&config) == 0)
            throw new InvalidOperationException("libwebp rejected the encoder configuration");
        return config;
    }

    public static byte[] Encode(Image image, EncodeOptions options, ImageMetadata? metadata)
    {
        var config = Config(options);

        bool alpha = image.HasAlpha;
        int samples = alpha ? 4 : 3;
        ReadOnlySpan<int> planes = image.Layout switch
        {
            PixelLayout.Gray => [0, 0, 0],
            PixelLayout.GrayAlpha => [0, 0, 0, 1],
            PixelLayout.Rgb => [0, 1, 2],
            _ => [0, 1, 2, 3],
        };
        var pixels = GC.AllocateUninitializedArray<byte>(checked(image.PixelCount * samples));
        PixelPacking.FromPlanar(image, planes, pixels);

        using var picture = WebPPictureHandle.Create();
        using var writer = WebPMemoryWriterHandle.Create();
        var pic = picture.Picture;
        // Lossless works on ARGB; lossy converts to YUV on import, as the simple API does.
        pic->UseArgb = options.Lossless ? 1 : 0;
        pic->Width = image.Width;
        pic->Height = image.Height;
        fixed (byte* p = pixels)
        {
            int imported = alpha
                ? WebPPictureImportRGBA(picture, p, image.Width * samples)
                : WebPPictureImportRGB(picture, p, image.Width * samples);
            if (imported == 0)
                throw new ImageFormatException($"WebP encoding failed: {EncodeErrorText(pic->ErrorCode == 0 ? 1 : pic->ErrorCode)}");
        }
        pic->Writer = MemoryWrite;
        pic->CustomPtr = (nint)writer.Writer;
        if (WebPEncode(&config, picture) == 0)
            throw new ImageFormatException($"WebP encoding failed: {EncodeErrorText(pic->ErrorCode)}");
        var bytes = new ReadOnlySpan<byte>(writer.Writer->Mem, checked((int)writer.Writer->Size)).ToArray();
        return WebPMetadata.Embed(bytes, metadata, image.Width, image.Height);
    }

    private static void Check(int status)
    {
        if (status == StatusOk) return;
        throw new ImageFormatException(status == StatusNotEnoughData
            ? $"truncated WebP: {DecodeStatusText(status)}"
            : $"corrupt WebP: {DecodeStatusText(status)}");
    }
}
