namespace Restora.Cli;

/// <summary>A mistake the user can fix (bad option, bad file): printed as one line, exit code 1. The command line's
/// kind of the library's <see cref="RestoraException"/>, so the two are caught as one.</summary>
public sealed class UserError(string message) : RestoraException(message);
