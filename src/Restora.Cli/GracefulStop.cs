using System.Runtime.InteropServices;

namespace Restora.Cli;

/// <summary>
/// Ctrl+C or a plain kill (SIGTERM) asks a long run to stop at the end of its current step, where it checkpoints, so
/// nothing is lost; a second Ctrl+C ends the process at once. Disposing stops listening.
/// </summary>
public sealed class GracefulStop : IDisposable
{
    readonly CancellationTokenSource cancel = new();
    readonly ConsoleCancelEventHandler onCancel;
    readonly PosixSignalRegistration term;

    /// <param name="command">Names the command in the message ("train").</param>
    /// <param name="unit">What finishes before it stops ("iteration", "step").</param>
    public GracefulStop(string command, string unit)
    {
        onCancel = (_, e) =>
        {
            e.Cancel = !cancel.IsCancellationRequested;
            if (e.Cancel) Console.Error.WriteLine($"\n{command}: stopping after this {unit} (Ctrl+C again to quit now)");
            cancel.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; cancel.Cancel(); });
    }

    /// <summary>Cancelled when a stop was asked for.</summary>
    public CancellationToken Token => cancel.Token;

    /// <inheritdoc/>
    public void Dispose()
    {
        Console.CancelKeyPress -= onCancel;
        term.Dispose();
        cancel.Dispose();
    }
}
