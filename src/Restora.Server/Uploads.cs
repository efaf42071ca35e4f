using Restora.Imaging;

namespace Restora.Server;

/// <summary>An upload as the server keeps it: under a name the server made, with the client's name kept for messages only.</summary>
/// <param name="Path">The stored file (the server's folder and name; never from the client).</param>
/// <param name="DisplayName">The client's file name, cleaned, shown in the page and in error messages.</param>
/// <param name="Format">The format its bytes are (sniffed, never taken from the name).</param>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
internal sealed record StoredUpload(string Path, string DisplayName, ImageFormat Format, int Width, int Height)
{
    /// <summary>A message about the stored file, told in the client's name ("photo.png: truncated PNG…").</summary>
    public string Tell(string message) => message.Replace(Path, DisplayName, StringComparison.Ordinal);
}

/// <summary>Why an upload was refused: the HTTP status and one line naming the file, as the CLI says it.</summary>
internal sealed class UploadRefusedException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}

/// <summary>
/// Checks and stores uploads: sniffs the format, decodes the whole image under the pixel limit (so a bad file is
/// answered at once, with the CLI's one-line message), writes it under a server-made name and makes its preview.
/// </summary>
internal sealed class Uploads(string folder, ServerOptions options, ImageCache cache)
{
    // Decoding a 100-MP image holds over a gigabyte; one upload decodes at a time, so many at once cannot add up.
    readonly SemaphoreSlim decoding = new(1, 1);

    /// <summary>The folder uploads and previews are kept in (removed when the server stops).</summary>
    public string Folder { get; } = folder;

    /// <summary>Checks <paramref name="bytes"/> and keeps them for job <paramref name="id"/>.</summary>
    public async Task<StoredUpload> StoreAsync(string id, string? clientName, byte[] bytes, CancellationToken cancellationToken)
    {
        string display = DisplayName(clientName);
        if (bytes.Length == 0) throw new UploadRefusedException(400, $"{display}: empty file");
        var format = ImageFile.Sniff(bytes)
            ?? throw new UploadRefusedException(400, $"{display}: {ImageFile.NotAnImage}");
        Image image;
        await decoding.WaitAsync(cancellationToken);
        try
        {
            image = await Task.Run(() => ImageFile.Decode(bytes, new DecodeOptions { MaxPixels = options.MaxPixels }), cancellationToken);
        }
        catch (ImageFormatException e)
        {
            // The pixel limit is the one refusal that is about size, not damage: 413, as for too many bytes.
            bool tooLarge = e.Message.Contains("(--max-pixels)", StringComparison.Ordinal);
            throw new UploadRefusedException(tooLarge ? 413 : 400, $"{display}: {e.Message}");
        }
        finally { decoding.Release(); }

        Directory.CreateDirectory(Folder);
        string path = System.IO.Path.Combine(Folder, id + Extension(format));
        await File.WriteAllBytesAsync(path, bytes, cancellationToken);
        var upload = new StoredUpload(path, display, format, image.Width, image.Height);
        await Task.Run(() => WritePreview(id, "input", image), cancellationToken);
        cache.Put(CacheKey(id, "input"), image);
        return upload;
    }

    /// <summary>Writes the preview of a job's input or result.</summary>
    public void WritePreview(string id, string which, Image image) => Previews.Write(image, PreviewPath(id, which), options.PreviewSide);

    /// <summary>Where the preview of a job's input or result is kept.</summary>
    public string PreviewPath(string id, string which) => System.IO.Path.Combine(Folder, $"{id}.{which}.preview.png");

    /// <summary>The key a job's input or result has in the image cache.</summary>
    public static string CacheKey(string id, string which) => $"{id}/{which}";

    /// <summary>Removes what was kept for a job that is forgotten.</summary>
    public void Delete(StoredUpload upload, string id)
    {
        foreach (var file in new[] { upload.Path, PreviewPath(id, "input"), PreviewPath(id, "result") })
            try { File.Delete(file); } catch (IOException) { }
        cache.Remove(CacheKey(id, "input"));
        cache.Remove(CacheKey(id, "result"));
    }

    /// <summary>The extension the result of a <paramref name="format"/> input gets: the input's own format.</summary>
    public static string Extension(ImageFormat format) => format switch
    {
        ImageFormat.Png => ".png",
        ImageFormat.Jpeg => ".jpg",
        ImageFormat.WebP => ".webp",
        ImageFormat.Tiff => ".tif",
        ImageFormat.Bmp => ".bmp",
        ImageFormat.Heic => ".heic",
        ImageFormat.Avif => ".avif",
        _ => ".png",
    };

    /// <summary>
    /// The client's name reduced to a file name to show: the last part of any path, no control characters, at most
    /// 100 characters. Shown only; never a path on this machine.
    /// </summary>
    public static string DisplayName(string? clientName)
    {
        string name = (clientName ?? "").Replace('\\', '/');
        name = name[(name.LastIndexOf('/') + 1)..];
        name = new string(name.Where(c => !char.IsControl(c)).ToArray()).Trim();
        if (name.Length > 100) name = name[..100];
        return name.Length == 0 ? "upload" : name;
    }

    /// <summary>
    /// A stem for result names made of the display name's letters, digits, '-' and '_' only (so it can never name
    /// another folder or a hidden file), at most 60 characters.
    /// </summary>
    public static string SafeStem(string displayName)
    {
        string stem = System.IO.Path.GetFileNameWithoutExtension(displayName);
        var chars = stem.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_').ToArray();
        string safe = new string(chars).Trim('_', '-');
        if (safe.Length > 60) safe = safe[..60];
        return safe.Length == 0 ? "image" : safe;
    }
}
