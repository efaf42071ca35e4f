using System.Text;
using Restora.Core;
using Restora.Core.Serialization;
using Restora.Imaging;
using Restora.Imaging.Codecs;
using Restora.Models;
using Restora.Models.Keras;
using Restora.Models.Ncnn;
using Restora.Models.PyTorch;

namespace Restora.Fuzz;

/// <summary>
/// One parser under fuzzing: bytes in. Returning, or throwing one of the exceptions the parser documents for bad input
/// (<see cref="FuzzTargets.IsExpected"/>), passes; any other exception, a hang or a runaway allocation is a crash.
/// </summary>
/// <param name="Name">The target's name: the seed folder under fuzz/seeds and the regression folder.</param>
/// <param name="Description">What it feeds the bytes to.</param>
/// <param name="Run">Feeds one input to the parser.</param>
/// <param name="AlsoExpected">Further documented refusals of this target beyond <see cref="FuzzTargets.IsExpected"/>.</param>
public sealed record FuzzTarget(string Name, string Description, Action<byte[]> Run, Func<Exception, bool>? AlsoExpected = null) : IRegistered
{
    /// <summary>Whether <paramref name="e"/> is one of the ways this target refuses bad input.</summary>
    public bool Expects(Exception e) => FuzzTargets.IsExpected(e) || AlsoExpected?.Invoke(e) == true;

    /// <summary>Runs one input; true when it was accepted or refused as documented, false (with the exception) when not.</summary>
    public bool Try(byte[] input, out Exception? unexpected)
    {
        unexpected = null;
        try
        {
            Run(input);
            return true;
        }
        catch (Exception e) when (Expects(e))
        {
            return true;
        }
        catch (Exception e)
        {
            unexpected = e;
            return false;
        }
    }
}

/// <summary>Every fuzz target, one line each: the image codecs, Restora's metadata parsers and the model readers.</summary>
public static class FuzzTargets
{
    /// <summary>
    /// The pixel limit the image targets decode under: 4 megapixels keeps one input's memory near 100 MB, so a
    /// header the limit lets through still decodes fast, and anything larger must be refused from its header.
    /// </summary>
    public const long MaxPixels = 1 << 22;

    /// <summary>Separates the parts of a two-file input (ncnn's .param and .bin, Keras's model.json and its shard).</summary>
    public const byte PartSeparator = 0;

    static readonly DecodeOptions Limited = new() { MaxPixels = MaxPixels };

    /// <summary>The targets, in the order scripts/fuzz.sh runs them.</summary>
    public static Registry<FuzzTarget> All { get; } = new("fuzz target",
    [
        ImageTarget("png", "PNG through libspng (ImageFile.Decode, then re-encoded with its metadata)"),
        ImageTarget("jpeg", "JPEG through libjpeg-turbo"),
        ImageTarget("webp", "WebP through libwebp"),
        ImageTarget("tiff", "TIFF through libtiff"),
        ImageTarget("bmp", "BMP (managed)"),
        ImageTarget("heif", "HEIC and AVIF through libheif"),
        new("exif", "EXIF blocks: orientation, tags, thumbnail link and pixel-size edits", Exif),
        new("xmp", "XMP packets: orientation and pixel-size edits", Xmp),
        new("icc", "ICC profiles: the color-space check, then carried through PNG, JPEG, WebP and TIFF writers and read back", Icc),
        new("jpeg-metadata", "JPEG marker segments: EXIF, XMP, multi-segment ICC, IPTC in Photoshop APP13", b => JpegMetadata.Read(b)),
        new("webp-metadata", "WebP RIFF chunks: ICCP, EXIF, XMP", b => WebPMetadata.Read(b)),
        new("tiff-metadata", "TIFF directories: EXIF/GPS sub-IFDs, XMP, ICC, IPTC", TiffMetadataTarget),
        new("safetensors", "safetensors header and data, then a trained model's metadata", SafeTensorsTarget),
        new("keras", "Keras TF.js model.json and one weight shard (split at the first NUL byte)", KerasTarget),
        new("ncnn", "ncnn .param text and .bin weights (split at the first NUL byte), built into a network", b => Ncnn(b)),
        // A graph that loads can still lie about what it does to an image; a layer refuses the shapes it cannot take
        // with an ArgumentException of its own (exactly that type: its subclasses, like an index out of range, are bugs).
        new("ncnn-run", "ncnn networks as above, then run on a 9x7 image", NcnnRunTarget, e => e.GetType() == typeof(ArgumentException)),
        new("pickle", "the restricted pickle interpreter (protocols 2-5)", b => Unpickler.Load(b, pid => pid)),
        new("pytorch", "PyTorch checkpoints (zip and legacy layouts), then architecture recognition", PyTorchTarget),
    ]);

    /// <summary>
    /// The documented ways of refusing bad bytes: <see cref="ImageFormatException"/> for images,
    /// <see cref="InvalidDataException"/> for model files and <see cref="KerasFormatException"/> for Keras models.
    /// Everything else (NullReference, IndexOutOfRange, Overflow, OutOfMemory, a JSON parser's own exceptions) is a bug.
    /// </summary>
    public static bool IsExpected(Exception e) => e is ImageFormatException or InvalidDataException or KerasFormatException;

    // The image targets share one path (the format is sniffed, as on load); each has its own seeds, so each format
    // is explored from its own files.
    static FuzzTarget ImageTarget(string name, string description) => new(name, description, DecodeImage);

    static void DecodeImage(byte[] bytes)
    {
        try { ImageFile.CheckComplete(bytes); }
        catch (ImageFormatException) { } // a cut file may still decode; the decoder is the real test
        var image = ImageFile.Decode(bytes, Limited);
        if (image.Metadata?.Exif is { } exif) Exif(exif);
        // Writing back what was read: hostile metadata travels from input files to outputs. Small images only, so
        // the encoders do not dominate the run.
        if (image.PixelCount <= 4096 && ImageFile.Sniff(bytes) is { } format and not (ImageFormat.Heic or ImageFormat.Avif))
            ImageFile.Decode(ImageFile.Encode(image, format), Limited);
    }

    static void Exif(byte[] exif)
    {
        Imaging.Exif.ReadOrientation(exif);
        foreach (var directory in Enum.GetValues<ExifDirectory>())
        {
            Imaging.Exif.ReadNumber(exif, directory, Imaging.Exif.PixelXDimensionTag);
            Imaging.Exif.ReadAscii(exif, directory, 0x010F); // Make
        }
        Imaging.Exif.HasThumbnail(exif);
        Imaging.Exif.WithoutThumbnail(exif);
        Imaging.Exif.WithOrientation(exif, 6);
        Imaging.Exif.WithPixelDimensions(exif, 70000, 3);
        new ImageMetadata { Exif = exif }.AfterApplying(6).ForSize(3, 70000);
    }

    static void Xmp(byte[] xmp)
    {
        XmpPacket.WithOrientation(xmp, 1);
        XmpPacket.WithPixelDimensions(xmp, 640, 480);
        new ImageMetadata { Xmp = xmp }.AfterApplying(8).ForSize(480, 640);
    }

    static void Icc(byte[] icc)
    {
        IccProfile.Fits(icc, gray: false);
        var image = new Image(4, 4, PixelLayout.Rgb, 8) { Metadata = new ImageMetadata { Icc = icc } };
        foreach (var format in (ImageFormat[])[ImageFormat.Png, ImageFormat.Jpeg, ImageFormat.WebP, ImageFormat.Tiff])
            ImageFile.Decode(ImageFile.Encode(image, format), Limited);
    }

    static void TiffMetadataTarget(byte[] bytes)
    {
        if (TiffMetadata.Read(bytes)?.Exif is { } exif) Exif(exif);
    }

    static void SafeTensorsTarget(byte[] bytes)
    {
        var checkpoint = SafeTensors.Load(new MemoryStream(bytes, writable: false));
        foreach (var t in checkpoint.Tensors.Values) t.Dispose();
        ModelMetadata.FromDictionary(checkpoint.Metadata, "fuzz.safetensors");
    }

    static void KerasTarget(byte[] bytes)
    {
        var (json, shard) = Split(bytes);
        using var folder = new TempFolder();
        File.WriteAllBytes(Path.Combine(folder.Path, "model.json"), json);
        File.WriteAllBytes(Path.Combine(folder.Path, "shard.bin"), shard);
        var model = KerasModel.Load(folder.Path);
        _ = model.PeakBytesPerInputPixel;
    }

    static NcnnNetwork Ncnn(byte[] bytes)
    {
        var (param, bin) = Split(bytes);
        var file = NcnnParamFile.Parse(Encoding.UTF8.GetString(param), "fuzz.param");
        return NcnnNetwork.Build(file, new NcnnWeightReader(bin, "fuzz.bin"));
    }

    static void NcnnRunTarget(byte[] bytes)
    {
        var network = Ncnn(bytes);
        using var input = Tensor.Empty(1, 3, 9, 7);
        for (int i = 0; i < input.Length; i++) input.Span[i] = i % 5 * 0.25f;
        network.Run(input).Dispose();
    }

    static void PyTorchTarget(byte[] bytes)
    {
        using var folder = new TempFolder();
        string path = Path.Combine(folder.Path, "fuzz.pth");
        File.WriteAllBytes(path, bytes);
        var state = PyTorchCheckpoint.Read(path);
        try
        {
            Recognition.Recognize(state);
        }
        finally
        {
            foreach (var t in state.Values) t.Dispose();
        }
    }

    /// <summary>The bytes before the first <see cref="PartSeparator"/> and those after it (empty when there is none).</summary>
    public static (byte[] First, byte[] Second) Split(byte[] bytes)
    {
        int at = Array.IndexOf(bytes, PartSeparator);
        return at < 0 ? (bytes, []) : (bytes[..at], bytes[(at + 1)..]);
    }

    /// <summary>Joins two files into one input, the inverse of <see cref="Split"/>.</summary>
    public static byte[] Join(byte[] first, byte[] second) => [.. first, PartSeparator, .. second];

    /// <summary>A folder of its own for the targets that read files by path, removed afterwards.</summary>
    sealed class TempFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("restora-fuzz-").FullName;

        public void Dispose()
        {
            try { Directory.Delete(Path, recursive: true); }
            catch (IOException) { }
        }
    }
}
