namespace Restora.Imaging;

/// <summary>Which channels an image has, in planar order.</summary>
public enum PixelLayout
{
    Gray = 1,
    GrayAlpha = 2,
    Rgb = 3,
    Rgba = 4,
}

/// <summary>
/// An image as planar float32 channels with values in 0..1 (channel-major: all of plane 0, then plane 1, …),
/// the layout a network tensor of batch 1 has, so conversion to and from tensors is a copy.
/// The bit depth the image was read with is remembered so that saving writes it back unchanged.
/// </summary>
public sealed class Image
{
    public int Width { get; }
    public int Height { get; }
    public PixelLayout Layout { get; }

    /// <summary>8 or 16: the depth the source had, and the depth a save writes unless told otherwise.</summary>
    public int BitDepth { get; set; }

    /// <summary>
    /// EXIF, XMP and ICC carried from the file this image came from to the file it is saved as; null for none.
    /// Transforms never look at it: whoever saves a result gives it its source's metadata (Batch does), and
    /// saving updates the pixel dimensions it records.
    /// </summary>
    public ImageMetadata? Metadata { get; set; }

    /// <summary>Planar samples, <see cref="Channels"/> planes of Width*Height each.</summary>
    public float[] Data { get; }

    public Image(int width, int height, PixelLayout layout, int bitDepth = 8, float[]? data = null)
    {
        if (width <= 0 || height <= 0)
            throw new ArgumentOutOfRangeException(nameof(width), $"image size must be positive, got {width}x{height}");
        if (bitDepth is not (8 or 16))
            throw new ArgumentOutOfRangeException(nameof(bitDepth), $"bit depth must be 8 or 16, got {bitDepth}");
        Width = width;
        Height = height;
        Layout = layout;
        BitDepth = bitDepth;
        long n = (long)width * height * (int)layout;
        if (n > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(width), $"image {width}x{height}x{(int)layout} is too large for one buffer");
        if (data is not null && data.Length != n)
            throw new ArgumentException($"data holds {data.Length} samples, a {width}x{height} {layout} image needs {n}", nameof(data));
        Data = data ?? new float[n];
    }

    public int Channels => (int)Layout;
    public int PixelCount => Width * Height;
    public bool HasAlpha => Layout is PixelLayout.GrayAlpha or PixelLayout.Rgba;
    public bool IsGray => Layout is PixelLayout.Gray or PixelLayout.GrayAlpha;

    /// <summary>Channels that carry color (1 or 3), i.e. without alpha.</summary>
    public int ColorChannels => IsGray ? 1 : 3;

    /// <summary>Largest code value of the stored depth: 255 or 65535.</summary>
    public int MaxValue => BitDepth == 16 ? 65535 : 255;

    public Span<float> Plane(int channel)
    {
        if ((uint)channel >= (uint)Channels)
            throw new ArgumentOutOfRangeException(nameof(channel), $"channel {channel} of a {Layout} image");
        return Data.AsSpan(channel * PixelCount, PixelCount);
    }

    public Image Clone() => new(Width, Height, Layout, BitDepth, (float[])Data.Clone()) { Metadata = Metadata };

    /// <summary>A rectangle of this image as a new image (metadata is not carried: it describes the whole).</summary>
    public Image Crop(int x0, int y0, int width, int height)
    {
        if (x0 < 0 || y0 < 0 || width <= 0 || height <= 0 || x0 + width > Width || y0 + height > Height)
            throw new ArgumentOutOfRangeException(nameof(x0), $"crop {width}x{height} at ({x0}, {y0}) leaves a {Width}x{Height} image");
        var result = new Image(width, height, Layout, BitDepth);
        for (int c = 0; c < Channels; c++)
        {
            var src = Plane(c);
            var dst = result.Plane(c);
            for (int y = 0; y < height; y++) src.Slice((y0 + y) * Width + x0, width).CopyTo(dst.Slice(y * width, width));
        }
        return result;
    }

    /// <summary>The color planes only (alpha dropped), sharing nothing with this image.</summary>
    public Image WithoutAlpha()
    {
        if (!HasAlpha) return Clone();
        var layout = IsGray ? PixelLayout.Gray : PixelLayout.Rgb;
        var result = new Image(Width, Height, layout, BitDepth);
        Data.AsSpan(0, result.Data.Length).CopyTo(result.Data);
        return result;
    }

    /// <summary>Gray is repeated into three planes; RGB is returned as a copy. Alpha is kept.</summary>
    public Image ToRgb()
    {
        if (!IsGray) return Clone();
        var result = new Image(Width, Height, HasAlpha ? PixelLayout.Rgba : PixelLayout.Rgb, BitDepth);
        for (int c = 0; c < 3; c++) Plane(0).CopyTo(result.Plane(c));
        if (HasAlpha) Plane(1).CopyTo(result.Plane(3));
        return result;
    }

    /// <summary>
    /// Rounds every sample to the nearest code of <paramref name="bitDepth"/> (half away from zero, as MATLAB's
    /// uint8 conversion does) after clamping to 0..1, in place.
    /// </summary>
    public Image Quantize(int? bitDepth = null)
    {
        int max = (bitDepth ?? BitDepth) == 16 ? 65535 : 255;
        Quantize(Data, max);
        return this;
    }

    public static void Quantize(Span<float> samples, int maxValue)
    {
        float scale = maxValue, inv = 1f / maxValue;
        for (int i = 0; i < samples.Length; i++)
        {
            float v = samples[i] * scale;
            v = v <= 0 ? 0 : v >= scale ? scale : MathF.Floor(v + 0.5f);
            samples[i] = v * inv;
        }
    }

    /// <summary>A sample as an integer code of the stored depth (clamped and rounded).</summary>
    public static int ToCode(float value, int maxValue)
    {
        float v = value * maxValue;
        if (!(v > 0)) return 0; // also catches NaN
        if (v >= maxValue) return maxValue;
        return (int)(v + 0.5f);
    }

    public override string ToString() => $"{Width}x{Height} {Layout} {BitDepth}-bit";
}
