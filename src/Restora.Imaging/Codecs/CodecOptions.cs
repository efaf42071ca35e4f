namespace Restora.Imaging;

/// <summary>The file formats Restora reads and writes.</summary>
public enum ImageFormat
{
    Png,
    Jpeg,
    WebP,
    Tiff,
    Bmp,
    /// <summary>HEIF with HEVC-coded images (.heic, .heif).</summary>
    Heic,
    /// <summary>HEIF with AV1-coded images (.avif).</summary>
    Avif,
    /// <summary>GIF, still or animated (<see cref="Animation"/>); a still one decodes to its first frame.</summary>
    Gif,
}

/// <summary>How TIFF pixel data is compressed; the lossless three use the horizontal predictor where it helps (LZW, Deflate).</summary>
public enum TiffCompression
{
    Deflate,
    Lzw,
    PackBits,
    None,
}

/// <summary>How JPEG stores chroma: full resolution, or halved in both directions.</summary>
public enum ChromaSubsampling
{
    Yuv444,
    Yuv420,
}

public sealed record EncodeOptions
{
    /// <summary>
    /// 8 or 16; null writes the image's own <see cref="Image.BitDepth"/>. JPEG, WebP, BMP, AVIF and HEIC always
    /// write 8.
    /// </summary>
    public int? BitDepth { get; init; }

    /// <summary>JPEG 1..100, WebP lossy 0..100, AVIF and HEIC 0..100.</summary>
    public int Quality { get; init; } = 95;

    /// <summary>JPEG, AVIF and HEIC; gray images are always written as single-channel JPEG.</summary>
    public ChromaSubsampling Subsampling { get; init; } = ChromaSubsampling.Yuv444;

    /// <summary>WebP only: lossless, with the exact RGB kept even under fully transparent pixels.</summary>
    public bool Lossless { get; init; }

    /// <summary>TIFF only.</summary>
    public TiffCompression TiffCompression { get; init; } = TiffCompression.Deflate;

    internal static readonly EncodeOptions Default = new();
}

public sealed record DecodeOptions
{
    /// <summary>Images with more pixels than this are refused from their header, before any pixel memory is allocated.</summary>
    public long MaxPixels { get; init; } = 100_000_000;

    /// <summary>An animation with more frames than this is refused as the frame past it is reached.</summary>
    public int MaxFrames { get; init; } = 10_000;

    /// <summary>
    /// The pixels of all an animation's frames together (frames x canvas): a bound on the work a small file can ask
    /// for, and on the memory of a caller that keeps every frame (<see cref="Animation.Decode"/>). 2 gigapixels is
    /// 1,000 frames of 1080p.
    /// </summary>
    public long MaxAnimationPixels { get; init; } = 2_000_000_000;

    /// <summary>
    /// Turn the pixels as the EXIF orientation tag says (all eight values), so every operation sees the photo as
    /// a viewer shows it; the tag then reads 1 and <see cref="ImageMetadata.AppliedOrientation"/> records the value.
    /// </summary>
    public bool ApplyOrientation { get; init; } = true;

    internal static readonly DecodeOptions Default = new();
}
