namespace Restora;

/// <summary>
/// A mistake the caller can fix (a missing input, an output that would replace its input, a bad shard), with a
/// one-line message that names the file or setting. Programs show the message as it is; the <c>restora</c> command
/// prints it and exits with code 1.
/// </summary>
public class RestoraException : Exception
{
    /// <summary>An error with a one-line <paramref name="message"/>.</summary>
    public RestoraException(string message) : base(message) { }

    /// <summary>An error with a one-line <paramref name="message"/> caused by <paramref name="inner"/>.</summary>
    public RestoraException(string message, Exception inner) : base(message, inner) { }
}
