using Restora.Imaging;

namespace Restora;

/// <summary>
/// An image as the facade passes it around: pixels (planar float, 8- or 16-bit, gray or color, with or without alpha)
/// and the metadata it was loaded with (EXIF, XMP, IPTC, ICC profile), which <see cref="Save"/> writes back. A thin
/// wrapper over <see cref="Imaging.Image"/>; programs that already use <see cref="ImageFile"/> can pass those images
/// to <see cref="RestorationModel.Restore(Imaging.Image, RestoreOptions?, CancellationToken)"/> directly.
/// </summary>
public sealed class RestoraImage : IDisposable
{
    Image? image;

    /// <summary>Wraps <paramref name="image"/> (not copied).</summary>
    public RestoraImage(Image image) => this.image = image ?? throw new ArgumentNullException(nameof(image));

    /// <summary>
    /// Reads a PNG (8- or 16-bit), JPEG or WebP file, with its metadata. A missing, damaged or oversized file is an
    /// <see cref="ImageFileException"/> whose message names it.
    /// </summary>
    /// <param name="path">The file; its contents, not its extension, decide the format.</param>
    /// <param name="options">Decoding limits (default: at most 100 megapixels, checked before decoding).</param>
    public static RestoraImage Load(string path, DecodeOptions? options = null) => new(ImageFile.Load(path, options));

    /// <summary>The underlying image (the pixels are shared, not copied).</summary>
    public Image Image => image ?? throw new ObjectDisposedException(nameof(RestoraImage));

    /// <summary>Width in pixels.</summary>
    public int Width => Image.Width;

    /// <summary>Height in pixels.</summary>
    public int Height => Image.Height;

    /// <summary>The metadata carried from the loaded file, or null.</summary>
    public ImageMetadata? Metadata { get => Image.Metadata; set => Image.Metadata = value; }

    /// <summary>
    /// Writes the image in the format its extension names (ImageFile.Extensions: PNG, JPEG, WebP, TIFF, BMP, AVIF, HEIC) with its metadata, through a
    /// temporary file renamed into place, so a crash never leaves a half-written file.
    /// </summary>
    /// <param name="path">The output file; its folder must exist.</param>
    /// <param name="overwrite">Replace an existing file (the default, as <see cref="File.WriteAllBytes(string, byte[])"/>
    /// does); false makes an existing file an <see cref="ImageFileException"/>.</param>
    /// <param name="options">Encoder settings (JPEG quality, PNG compression…).</param>
    public void Save(string path, bool overwrite = true, EncodeOptions? options = null) => ImageFile.Save(Image, path, options, overwrite);

    /// <summary>Lets go of the pixels; the image cannot be used afterwards.</summary>
    public void Dispose() => image = null;

    /// <summary>"640x480 Rgb 8-bit".</summary>
    public override string ToString() => image?.ToString() ?? "disposed image";
}
