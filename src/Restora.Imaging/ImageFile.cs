using Restora.Imaging.Codecs;

namespace Restora.Imaging;

/// <summary>
/// Reading and writing image files. The format of bytes being decoded is sniffed from their magic numbers, never
/// taken from a file name; the format to write follows the extension. Every file failure surfaces as an
/// <see cref="ImageFileException"/> whose message names the path. Decoding reads the EXIF/XMP/ICC/IPTC blocks into
/// <see cref="Image.Metadata"/> and turns the pixels upright; encoding writes <see cref="Image.Metadata"/> back.
/// </summary>
public static class ImageFile
{
    private static ReadOnlySpan<byte> PngSignature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    public static ImageFormat? Sniff(ReadOnlySpan<byte> header)
    {
        if (header.StartsWith(PngSignature)) return ImageFormat.Png;
        if (header.Length >= 3 && header[0] == 0xFF && header[1] == 0xD8 && header[2] == 0xFF) return ImageFormat.Jpeg;
        if (header.Length >= 12 && header.StartsWith("RIFF"u8) && header.Slice(8, 4).SequenceEqual("WEBP"u8))
            return ImageFormat.WebP;
        if (TiffStructure.IsTiff(header)) return ImageFormat.Tiff;
        if (BmpCodec.IsBmp(header)) return ImageFormat.Bmp;
        if (GifCodec.IsGif(header)) return ImageFormat.Gif;
        return SniffHeif(header);
    }

    /// <summary>
    /// An ISO-BMFF file whose ftyp box names a HEIF brand: AVIF when "avif"/"avis" is among its brands, HEIC for
    /// the HEVC and generic image brands. Which codec a generic one really holds is found out by libheif.
    /// </summary>
    static ImageFormat? SniffHeif(ReadOnlySpan<byte> header)
    {
        if (header.Length < 12 || !header.Slice(4, 4).SequenceEqual("ftyp"u8)) return null;
        int size = (int)Math.Min(header.Length, System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(header));
        bool heif = false;
        for (int at = 8; at + 4 <= size; at += at == 8 ? 8 : 4) // major brand, minor version, compatible brands
        {
            var brand = header.Slice(at, 4);
            if (brand.SequenceEqual("avif"u8) || brand.SequenceEqual("avis"u8)) return ImageFormat.Avif;
            heif |= brand.SequenceEqual("heic"u8) || brand.SequenceEqual("heix"u8) || brand.SequenceEqual("heim"u8)
                    || brand.SequenceEqual("heis"u8) || brand.SequenceEqual("hevc"u8) || brand.SequenceEqual("hevx"u8)
                    || brand.SequenceEqual("mif1"u8) || brand.SequenceEqual("msf1"u8);
        }
        return heif ? ImageFormat.Heic : null;
    }

    /// <summary>The extensions <see cref="FormatFromExtension"/> knows, as the messages list them.</summary>
    public const string Extensions = ".png, .jpg, .jpeg, .webp, .gif, .tif, .tiff, .bmp, .heic, .heif or .avif";

    public static ImageFormat FormatFromExtension(string path)
    {
        string extension = Path.GetExtension(path);
        return extension.ToLowerInvariant() switch
        {
            ".png" => ImageFormat.Png,
            ".jpg" or ".jpeg" => ImageFormat.Jpeg,
            ".webp" => ImageFormat.WebP,
            ".tif" or ".tiff" => ImageFormat.Tiff,
            ".bmp" => ImageFormat.Bmp,
            ".heic" or ".heif" => ImageFormat.Heic,
            ".avif" => ImageFormat.Avif,
            ".gif" => ImageFormat.Gif,
            "" => throw new ImageFileException(path, $"no file extension (use {Extensions})"),
            _ => throw new ImageFileException(path, $"unsupported extension '{extension}' (use {Extensions})"),
        };
    }

    public static bool HasImageExtension(string path) =>
        Path.GetExtension(path).ToLowerInvariant() is ".png" or ".jpg" or ".jpeg" or ".webp" or ".tif" or ".tiff"
            or ".bmp" or ".heic" or ".heif" or ".avif" or ".gif";

    public static Image Decode(ReadOnlySpan<byte> bytes, DecodeOptions? options = null)
    {
        options ??= DecodeOptions.Default;
        if (bytes.IsEmpty) throw new ImageFormatException("empty file");
        var image = Sniff(bytes) switch
        {
            ImageFormat.Png => PngCodec.Decode(bytes, options),
            ImageFormat.Jpeg => JpegCodec.Decode(bytes, options),
            // An animation read as one image is its first frame (use Animation for all of them).
            ImageFormat.WebP when WebPAnimation.IsAnimated(bytes) => FirstFrame(bytes, options),
            ImageFormat.WebP => WebPCodec.Decode(bytes, options),
            ImageFormat.Gif => GifCodec.Decode(bytes.ToArray(), options),
            ImageFormat.Tiff => TiffCodec.Decode(bytes, options),
            ImageFormat.Bmp => BmpCodec.Decode(bytes, options),
            ImageFormat.Heic => HeifCodec.Decode(bytes, ImageFormat.Heic, options),
            ImageFormat.Avif => HeifCodec.Decode(bytes, ImageFormat.Avif, options),
            _ => throw new ImageFormatException(NotAnImage),
        };
        return options.ApplyOrientation ? Upright(image) : image;
    }

    /// <summary>
    /// Throws an <see cref="ImageFormatException"/> unless the bytes are a whole image file: a header that parses
    /// and the container's end where it should be (PNG's IEND chunk, JPEG's EOI marker, the length RIFF declares
    /// for WebP, every TIFF strip inside the file, all of BMP's rows, HEIF's last box whole). Cheap next to
    /// decoding, and it catches the usual damage, a file cut short; bytes altered in the middle are only found by
    /// decoding.
    /// </summary>
    public static void CheckComplete(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty) throw new ImageFormatException("empty file");
        switch (Sniff(bytes))
        {
            case ImageFormat.Png:
                PngCodec.ReadSize(bytes);
                if (!bytes.EndsWith(PngEnd)) throw new ImageFormatException("truncated PNG: it does not end with an IEND chunk");
                break;
            case ImageFormat.Jpeg:
                JpegCodec.ReadSize(bytes);
                // Some writers pad after EOI with zeros. Anything else is taken for a cut file: redoing a whole one
                // costs time, keeping a cut one costs the picture.
                if (!bytes.TrimEnd((byte)0).EndsWith((ReadOnlySpan<byte>)[0xFF, 0xD9]))
                    throw new ImageFormatException("truncated JPEG: it does not end with an EOI marker");
                break;
            case ImageFormat.WebP:
                WebPCodec.ReadSize(bytes);
                if (bytes.Length < 8L + System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(bytes[4..]))
                    throw new ImageFormatException("truncated WebP: shorter than its RIFF header says");
                break;
            case ImageFormat.Gif:
                if (GifCodec.CountImages(bytes) == 0 || !bytes.TrimEnd((byte)0).EndsWith((ReadOnlySpan<byte>)[0x3B]))
                    throw new ImageFormatException("truncated GIF: it does not end with a trailer after its images");
                break;
            case ImageFormat.Tiff:
                TiffCodec.CheckComplete(bytes);
                break;
            case ImageFormat.Bmp:
                BmpCodec.CheckComplete(bytes);
                break;
            case ImageFormat.Heic or ImageFormat.Avif:
                HeifCodec.CheckComplete(bytes, Sniff(bytes)!.Value);
                break;
            default:
                throw new ImageFormatException(NotAnImage);
        }
    }

    /// <summary>The message for bytes with no known signature (also the server's, so both name the same formats).</summary>
    public const string NotAnImage = "not an image (no PNG, JPEG, WebP, GIF, TIFF, BMP, HEIC or AVIF signature)";

    static Image FirstFrame(ReadOnlySpan<byte> bytes, DecodeOptions options)
    {
        using var reader = Animation.OpenReader(bytes.ToArray(), options);
        return reader.Next()?.Image ?? throw new ImageFormatException("the animation has no frames");
    }

    public static void CheckComplete(string path)
    {
        byte[] bytes = ImageFileIO.ReadAll(path);
        try
        {
            CheckComplete(bytes);
        }
        catch (ImageFormatException e)
        {
            throw new ImageFileException(path, e.Message, e);
        }
    }

    /// <summary>A zero-length IEND chunk with its CRC: the last 12 bytes of every whole PNG.</summary>
    private static ReadOnlySpan<byte> PngEnd => [0, 0, 0, 0, (byte)'I', (byte)'E', (byte)'N', (byte)'D', 0xAE, 0x42, 0x60, 0x82];

    /// <summary>
    /// The EXIF, XMP, ICC and IPTC blocks of encoded bytes exactly as stored (orientation not applied, tag untouched);
    /// null when there are none. Decodes the pixels too, so damaged files fail as they would on load, and under the
    /// same pixel limit: a header claiming a gigapixel image is refused here as there.
    /// </summary>
    public static ImageMetadata? ReadMetadata(ReadOnlySpan<byte> bytes, DecodeOptions? options = null) =>
        Decode(bytes, (options ?? DecodeOptions.Default) with { ApplyOrientation = false }).Metadata;

    static Image Upright(Image image)
    {
        if (image.Metadata is not { Orientation: int orientation and > 1 } metadata) return image;
        var upright = Orientation.Apply(image, orientation);
        upright.Metadata = metadata.AfterApplying(orientation);
        return upright;
    }

    /// <summary>
    /// The blocks to write beside these pixels in this format: pixel dimensions updated, and an ICC profile only
    /// where its color space matches what the file will hold (WebP, HEIC and AVIF have no gray here and BMP's
    /// palette is RGB, so a gray image is written as RGB).
    /// </summary>
    static ImageMetadata? MetadataFor(Image image, ImageFormat format)
    {
        if (image.Metadata is not { IsEmpty: false } metadata) return null;
        bool grayFile = image.IsGray && format is ImageFormat.Png or ImageFormat.Jpeg or ImageFormat.Tiff;
        if (metadata.Icc is { } icc && !IccProfile.Fits(icc, grayFile)) metadata = metadata with { Icc = null };
        return metadata.ForSize(image.Width, image.Height);
    }

    public static byte[] Encode(Image image, ImageFormat format, EncodeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        options ??= EncodeOptions.Default;
        int bitDepth = options.BitDepth ?? image.BitDepth;
        if (bitDepth is not (8 or 16))
            throw new ArgumentOutOfRangeException(nameof(options), $"bit depth must be 8 or 16, got {bitDepth}");
        var metadata = MetadataFor(image, format);
        return format switch
        {
            ImageFormat.Png => PngCodec.Encode(image, bitDepth, metadata),
            ImageFormat.Jpeg => JpegCodec.Encode(image, options, metadata),
            ImageFormat.WebP => WebPCodec.Encode(image, options, metadata),
            ImageFormat.Tiff => TiffCodec.Encode(image, bitDepth, options.TiffCompression, metadata),
            ImageFormat.Bmp => BmpCodec.Encode(image, metadata),
            ImageFormat.Gif => GifCodec.Encode(image),
            ImageFormat.Heic or ImageFormat.Avif => HeifCodec.Encode(image, format, options, metadata),
            _ => throw new ArgumentOutOfRangeException(nameof(format), $"unknown image format {format}"),
        };
    }

    public static Image Load(string path, DecodeOptions? options = null)
    {
        byte[] bytes = ImageFileIO.ReadAll(path);
        try
        {
            return Decode(bytes, options);
        }
        catch (ImageFormatException e)
        {
            throw new ImageFileException(path, e.Message, e);
        }
    }

    public static void Save(Image image, string path, EncodeOptions? options = null, bool overwrite = false)
    {
        ArgumentNullException.ThrowIfNull(image);
        var format = FormatFromExtension(path);
        // Checked before encoding so a refused save costs nothing; checked again, atomically, by the rename.
        ImageFileIO.EnsureWritable(path, overwrite);
        byte[] bytes;
        try
        {
            bytes = Encode(image, format, options);
        }
        catch (ImageFormatException e)
        {
            throw new ImageFileException(path, e.Message, e);
        }
        ImageFileIO.WriteAtomically(path, bytes, overwrite);
    }
}
