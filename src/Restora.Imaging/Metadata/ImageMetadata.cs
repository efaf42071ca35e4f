namespace Restora.Imaging;

/// <summary>
/// What a photographer would miss if it were lost on the way through: the EXIF block (camera, date taken, GPS…),
/// the XMP packet (titles, keywords, ratings), IPTC records and the ICC color profile. Blocks are kept as the bytes the file
/// held; the only edits ever made are the ones <see cref="Exif"/> and <see cref="XmpPacket"/> understand exactly.
/// Immutable, so one instance can be shared by an image and every image derived from it.
/// </summary>
public sealed record ImageMetadata
{
    /// <summary>The TIFF structure ("II*\0" or "MM\0*" first), without JPEG's "Exif\0\0" prefix.</summary>
    public byte[]? Exif { get; init; }

    /// <summary>The XMP packet as UTF-8 bytes.</summary>
    public byte[]? Xmp { get; init; }

    /// <summary>The ICC profile, exactly as embedded.</summary>
    public byte[]? Icc { get; init; }

    /// <summary>
    /// IPTC-IIM records (captions, keywords, credit) from a JPEG's Photoshop APP13 block. Only JPEG has a place for
    /// them, so other outputs rely on the XMP, where current tools mirror the same fields.
    /// </summary>
    public byte[]? Iptc { get; init; }

    /// <summary>
    /// The EXIF orientation (2..8) that loading applied to the pixels, or 1 when none was; the tag itself then
    /// already reads 1, so the blocks describe the pixels as they are.
    /// </summary>
    public int AppliedOrientation { get; init; } = 1;

    public string? XmpText => Xmp is null ? null : System.Text.Encoding.UTF8.GetString(Xmp);

    public bool IsEmpty => Exif is null && Xmp is null && Icc is null && Iptc is null;

    /// <summary>The EXIF orientation tag (1..8), or null when there is no readable one.</summary>
    public int? Orientation => Exif is null ? null : Restora.Imaging.Exif.ReadOrientation(Exif);

    /// <summary>The blocks as they must be written beside pixels of this size: EXIF/XMP pixel dimensions updated.</summary>
    public ImageMetadata ForSize(int width, int height) => this with
    {
        Exif = Exif is null ? null : Restora.Imaging.Exif.WithPixelDimensions(Exif, width, height),
        Xmp = Xmp is null ? null : XmpPacket.WithPixelDimensions(Xmp, width, height),
    };

    /// <summary>The blocks after the pixels were turned upright: orientation tags read 1, the sideways EXIF thumbnail unlinked.</summary>
    public ImageMetadata AfterApplying(int orientation) => this with
    {
        Exif = Exif is null ? null : Restora.Imaging.Exif.WithoutThumbnail(Restora.Imaging.Exif.WithOrientation(Exif, 1)),
        Xmp = Xmp is null ? null : XmpPacket.WithOrientation(Xmp, 1),
        AppliedOrientation = orientation,
    };
}
