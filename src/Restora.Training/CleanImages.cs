using Restora.Imaging;

namespace Restora.Training;

/// <summary>
/// The clean training images, decoded once and kept as 8-bit planar codes: a quarter of the memory of float
/// planes, so a few hundred photos fit. 16-bit images are rounded to 8 bits. Images become RGB for 3-channel
/// networks (gray repeated) or MATLAB's Y for 1-channel ones.
/// </summary>
public sealed class CleanImages
{
    /// <param name="InputCodes">For paired data, the input image's codes (same size, same channels); else null.</param>
    public sealed record Entry(string Name, int Width, int Height, byte[] Codes, byte[]? InputCodes = null);

    public IReadOnlyList<Entry> Images { get; }
    public int Channels { get; }

    /// <summary>Files that were not used, with the reason (too small, unreadable).</summary>
    public IReadOnlyList<string> Skipped { get; }

    CleanImages(List<Entry> images, int channels, List<string> skipped)
    {
        Images = images;
        Channels = channels;
        Skipped = skipped;
    }

    /// <summary>A hash of every image's name and size (not its pixels: cheap, and renames or edits of size show).</summary>
    public string Fingerprint()
    {
        var text = string.Join("|", Images.Select(i => $"{i.Name}:{i.Width}x{i.Height}"));
        return $"{Images.Count}:{Imaging.SeededRandom.StableHash(text):x16}";
    }

    /// <summary>The images of one folder or of several joined with ':' (like PATH), each folder's sorted by name.</summary>
    public static IReadOnlyList<string> ListFiles(string folders)
    {
        var files = new List<string>();
        foreach (var folder in folders.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{folder}: no such folder");
            var found = Directory.EnumerateFiles(folder).Where(ImageFile.HasImageExtension).Order(StringComparer.Ordinal).ToList();
            if (found.Count == 0) throw new ArgumentException($"{folder}: no images in this folder");
            files.AddRange(found);
        }
        if (files.Count == 0) throw new ArgumentException($"'{folders}': no folder given");
        return files;
    }

    /// <summary>
    /// Splits the data's files into training and held-out validation files: every <paramref name="holdout"/>-th
    /// share, spread over the whole list so each folder gives some, and never both.
    /// </summary>
    public static (IReadOnlyList<string> Train, IReadOnlyList<string> Validation) Split(IReadOnlyList<string> files, int holdout)
    {
        if (holdout <= 0) return (files, []);
        if (holdout >= files.Count) throw new ArgumentException($"cannot hold out {holdout} of {files.Count} images");
        var validation = Enumerable.Range(0, holdout).Select(k => files[(int)((k + 0.5) * files.Count / holdout)]).ToHashSet();
        return (files.Where(f => !validation.Contains(f)).ToList(), files.Where(validation.Contains).ToList());
    }

    /// <param name="minSize">Images narrower or shorter than this cannot give a patch and are skipped.</param>
    public static CleanImages Load(string folder, int channels, int minSize, DecodeOptions? decode = null, Action<int, string>? progress = null,
        int holdout = 0)
    {
        var files = Split(ListFiles(folder), holdout).Train;
        var images = new List<Entry>();
        var skipped = new List<string>();
        for (int i = 0; i < files.Count; i++)
        {
            string name = Path.GetFileName(files[i]);
            progress?.Invoke(i, name);
            Image image;
            try { image = ImageFile.Load(files[i], decode); }
            catch (ImageFileException e)
            {
                skipped.Add($"{name}: {e.Message}");
                continue;
            }
            if (image.Width < minSize || image.Height < minSize)
            {
                skipped.Add($"{name}: {image.Width}x{image.Height} is smaller than a {minSize}-pixel patch");
                continue;
            }
            images.Add(FromImage(name, image, channels));
        }
        if (images.Count == 0) throw new ArgumentException($"{folder}: no usable images ({string.Join("; ", skipped)})");
        return new CleanImages(images, channels, skipped);
    }

    /// <summary>
    /// Paired data (<c>INPUTS_DIR:TARGETS_DIR</c>, files matched by name): each entry holds the target and, in
    /// <see cref="Entry.InputCodes"/>, its input. A missing partner or a size mismatch is an error naming the file.
    /// </summary>
    public static CleanImages LoadPairs(string data, int channels, int minSize, DecodeOptions? decode = null, int holdout = 0)
    {
        var pairs = Models.PairedFolders.Pairs(data);
        var kept = Split(pairs.Select(p => p.Target).ToList(), holdout).Train.ToHashSet();
        var images = new List<Entry>();
        var skipped = new List<string>();
        foreach (var (inputFile, targetFile) in pairs.Where(p => kept.Contains(p.Target)))
        {
            string name = Path.GetFileName(targetFile);
            var (input, target) = Models.PairedFolders.Load(inputFile, targetFile, decode);
            if (target.Width < minSize || target.Height < minSize)
            {
                skipped.Add($"{name}: {target.Width}x{target.Height} is smaller than a {minSize}-pixel patch");
                continue;
            }
            images.Add(FromImage(name, target, channels) with { InputCodes = FromImage(name, input, channels).Codes });
        }
        if (images.Count == 0) throw new ArgumentException($"{data}: no usable pairs ({string.Join("; ", skipped)})");
        return new CleanImages(images, channels, skipped);
    }

    /// <summary>For tests and callers that already hold images.</summary>
    public static CleanImages FromImages(IEnumerable<(string Name, Image Image)> images, int channels) =>
        new(images.Select(i => FromImage(i.Name, i.Image, channels)).ToList(), channels, []);

    public static Image ToNetworkColor(Image image, int channels)
    {
        var rgb = image.WithoutAlpha().ToRgb();
        if (channels == 3) return rgb;
        if (channels != 1) throw new ArgumentException($"networks take 1 (Y) or 3 (RGB) channels, not {channels}");
        var ycc = Color.RgbToYCbCr(rgb);
        var y = new Image(image.Width, image.Height, PixelLayout.Gray, image.BitDepth);
        ycc.Plane(0).CopyTo(y.Plane(0));
        return y;
    }

    static Entry FromImage(string name, Image image, int channels)
    {
        var color = ToNetworkColor(image, channels);
        var codes = new byte[color.Data.Length];
        for (int i = 0; i < codes.Length; i++) codes[i] = (byte)Image.ToCode(color.Data[i], 255);
        return new Entry(name, image.Width, image.Height, codes);
    }
}
