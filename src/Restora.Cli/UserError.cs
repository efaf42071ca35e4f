namespace Restora.Cli;

/// <summary>A mistake the user can fix (bad option, bad file): printed as one line, exit code 1.</summary>
public sealed class UserError(string message) : Exception(message);
