namespace Restora.Imaging;

/// <summary>
/// What is wrong with the bytes of an image ("truncated PNG: …", "not an image"), without a file name,
/// so the same message serves in-memory decoding and file loading.
/// </summary>
public class ImageFormatException : Exception
{
    public ImageFormatException(string message, Exception? innerException = null)
        : base(OneLine(message), innerException) { }

    // Native libraries sometimes end their messages with a newline; callers print Message as one line.
    internal static string OneLine(string text) =>
        text.ReplaceLineEndings(" ").Trim();
}

/// <summary>A file that could not be read or written; <see cref="Exception.Message"/> is "&lt;path&gt;: &lt;problem&gt;", one line ready to print.</summary>
public class ImageFileException : Exception
{
    public string Path { get; }

    public ImageFileException(string path, string problem, Exception? innerException = null)
        : base(ImageFormatException.OneLine($"{path}: {problem}"), innerException)
    {
        Path = path;
    }
}
