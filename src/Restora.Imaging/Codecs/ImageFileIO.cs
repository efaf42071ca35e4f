using System.Text.RegularExpressions;

namespace Restora.Imaging.Codecs;

/// <summary>
/// File reads and writes for <see cref="ImageFile"/>, with every failure turned into a one-line
/// <see cref="ImageFileException"/> and writes made atomic (temp file in the same folder, then rename).
/// </summary>
internal static class ImageFileIO
{
    public static byte[] ReadAll(string path)
    {
        if (Directory.Exists(path)) throw new ImageFileException(path, "is a directory, not an image file");
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ImageFileException(path, "no such file", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new ImageFileException(path, "permission denied", e);
        }
        catch (Exception e) when (e is IOException or ArgumentException or NotSupportedException)
        {
            throw new ImageFileException(path, $"cannot read: {WithoutPath(e.Message)}", e);
        }
        return bytes.Length > 0 ? bytes : throw new ImageFileException(path, "empty file");
    }

    public static void EnsureWritable(string path, bool overwrite)
    {
        if (Directory.Exists(path)) throw new ImageFileException(path, "is a directory");
        if (!overwrite && File.Exists(path)) throw Exists(path);
        string folder = FolderOf(path);
        if (!Directory.Exists(folder)) throw new ImageFileException(path, $"folder '{folder}' does not exist");
    }

    /// <summary>
    /// Writes to a hidden temp file beside <paramref name="path"/>, flushes it to disk, then renames it over the
    /// target, so readers see the old file or the whole new one and a crash leaves at most a stray temp file
    /// (never a truncated image under the real name). Without overwrite the rename refuses an existing target,
    /// which closes the race with another writer.
    /// </summary>
    public static void WriteAtomically(string path, byte[] bytes, bool overwrite)
    {
        RemoveStaleTemps(path);
        string temp = Path.Combine(FolderOf(path), $".{Path.GetFileName(path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, System.IO.FileAccess.Write, FileShare.None))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite);
        }
        catch (IOException e) when (!overwrite && File.Exists(path) && e is not PathTooLongException)
        {
            throw Exists(path, e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new ImageFileException(path, "permission denied", e);
        }
        catch (Exception e) when (e is IOException or ArgumentException or NotSupportedException)
        {
            throw new ImageFileException(path, $"cannot write: {WithoutPath(e.Message)}", e);
        }
        finally
        {
            TryDelete(temp);
        }
    }

    /// <summary>
    /// Deletes the temp files a killed writer of <paramref name="path"/> left behind, so a rerun after a crash
    /// leaves a clean folder. The writer's process id is in the name, and only temps of processes that are gone
    /// are touched: one still running may be about to rename its file.
    /// </summary>
    internal static void RemoveStaleTemps(string path)
    {
        string folder = FolderOf(path), prefix = $".{Path.GetFileName(path)}.";
        try
        {
            foreach (var temp in Directory.EnumerateFiles(folder, prefix + "*.tmp"))
            {
                var parts = Path.GetFileName(temp)[prefix.Length..].Split('.');
                if (parts.Length == 3 && int.TryParse(parts[0], out int pid) && !IsRunning(pid)) TryDelete(temp);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Tidying up is best effort; the write itself reports any real problem with the folder.
        }
    }

    static bool IsRunning(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    // .NET appends " : '<path>'" to I/O error messages; ours already start with the path.
    private static string WithoutPath(string message) =>
        Regex.Replace(message, @"\s*:\s*'[^']*'\s*$", "");

    private static ImageFileException Exists(string path, Exception? inner = null) =>
        new(path, "exists (use --overwrite)", inner);

    private static string FolderOf(string path)
    {
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        return string.IsNullOrEmpty(folder) ? "." : folder;
    }

    private static void TryDelete(string temp)
    {
        try
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
        catch (IOException)
        {
            // Best effort: the error that got us here is the one worth reporting.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
