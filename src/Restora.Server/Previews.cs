using Restora.Imaging;

namespace Restora.Server;

/// <summary>
/// What the page draws: a preview bounded in size (a 30-MP photo is not sent whole to be shown at 5%), and 1:1
/// regions of the full image for high zoom. Both 8-bit PNG without metadata, so the browser shows the exact pixels.
/// </summary>
internal static class Previews
{
    /// <summary>Writes <paramref name="image"/>, shrunk to fit <paramref name="side"/> if larger (MATLAB bicubic, antialiased), as a PNG.</summary>
    public static void Write(Image image, string path, int side)
    {
        var fitted = image;
        int longest = Math.Max(image.Width, image.Height);
        if (longest > side)
        {
            double f = (double)side / longest;
            fitted = Resize.ToSize(image, Math.Max(1, (int)Math.Round(image.Width * f)), Math.Max(1, (int)Math.Round(image.Height * f)));
        }
        File.WriteAllBytes(path, Png(fitted));
    }

    /// <summary>The region (clipped to the image) as a PNG; null when it lies outside the image.</summary>
    public static byte[]? Region(Image image, int x, int y, int width, int height)
    {
        int x0 = Math.Clamp(x, 0, image.Width), y0 = Math.Clamp(y, 0, image.Height);
        int x1 = Math.Clamp(x + width, 0, image.Width), y1 = Math.Clamp(y + height, 0, image.Height);
        if (x1 <= x0 || y1 <= y0) return null;
        return Png(image.Crop(x0, y0, x1 - x0, y1 - y0));
    }

    /// <summary>8-bit PNG of the pixels alone (the data shared, the metadata left out).</summary>
    static byte[] Png(Image image) =>
        ImageFile.Encode(new Image(image.Width, image.Height, image.Layout, image.BitDepth, image.Data),
            ImageFormat.Png, new EncodeOptions { BitDepth = 8 });
}

/// <summary>
/// The last few full-size images the page looked at (a job's input or result), so the regions of one zoomed view do
/// not each decode a 30-MP file again. Small on purpose: each entry can be gigabytes of floats.
/// </summary>
internal sealed class ImageCache(int capacity = 2)
{
    readonly LinkedList<(string Key, Image Image)> entries = new();

    /// <summary>Keeps <paramref name="image"/> as the most recent, dropping the oldest beyond the capacity.</summary>
    public void Put(string key, Image image)
    {
        lock (entries)
        {
            Remove(key);
            entries.AddFirst((key, image));
            while (entries.Count > capacity) entries.RemoveLast();
        }
    }

    /// <summary>The image under <paramref name="key"/>, else <paramref name="load"/>'s (then kept).</summary>
    public Image Get(string key, Func<Image> load)
    {
        lock (entries)
        {
            for (var node = entries.First; node is not null; node = node.Next)
                if (node.Value.Key == key)
                {
                    entries.Remove(node);
                    entries.AddFirst(node);
                    return node.Value.Image;
                }
        }
        var image = load();
        Put(key, image);
        return image;
    }

    /// <summary>Forgets <paramref name="key"/>.</summary>
    public void Remove(string key)
    {
        lock (entries)
            for (var node = entries.First; node is not null; node = node.Next)
                if (node.Value.Key == key) { entries.Remove(node); return; }
    }
}
