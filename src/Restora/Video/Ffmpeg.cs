using System.ComponentModel;
using System.Diagnostics;

namespace Restora.Video;

/// <summary>
/// Debian's <c>ffmpeg</c> and <c>ffprobe</c> as child processes: their errors become one-line
/// <see cref="RestoraException"/>s naming the file (the last line ffmpeg printed), and a child is killed when the
/// work it serves stops.
/// </summary>
internal sealed class Ffmpeg : IDisposable
{
    readonly Process process;
    readonly Queue<string> errors = new();
    readonly string program, file;

    Ffmpeg(Process process, string program, string file)
    {
        this.process = process;
        this.program = program;
        this.file = file;
        // stderr read as it comes: a full pipe would stop ffmpeg; the last lines say what went wrong.
        process.ErrorDataReceived += (_, e) =>
        {
            if (string.IsNullOrWhiteSpace(e.Data)) return;
            lock (errors)
            {
                errors.Enqueue(e.Data.Trim());
                if (errors.Count > 5) errors.Dequeue();
            }
        };
        process.BeginErrorReadLine();
    }

    /// <summary>Starts <paramref name="program"/> with its stdin and/or stdout as pipes; <paramref name="file"/> is what errors name.</summary>
    public static Ffmpeg Start(string program, IEnumerable<string> arguments, string file, bool stdin = false, bool stdout = false)
    {
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardInput = stdin,
            RedirectStandardOutput = stdout,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        try
        {
            return new Ffmpeg(Process.Start(psi)!, program, file);
        }
        catch (Win32Exception e)
        {
            throw new RestoraException($"{file}: {program} is not installed (on Debian: apt-get install ffmpeg)", e);
        }
    }

    /// <summary>Runs <paramref name="program"/> to the end and returns its stdout.</summary>
    public static string Output(string program, IEnumerable<string> arguments, string file, CancellationToken cancellationToken)
    {
        using var run = Start(program, arguments, file, stdout: true);
        var text = run.process.StandardOutput.ReadToEndAsync(cancellationToken);
        run.WaitForSuccess(cancellationToken);
        return text.GetAwaiter().GetResult();
    }

    /// <summary>The child's stdin (raw frames to encode).</summary>
    public Stream Stdin => process.StandardInput.BaseStream;

    /// <summary>The child's stdout (raw decoded frames).</summary>
    public Stream Stdout => process.StandardOutput.BaseStream;

    /// <summary>Waits for the child to exit; a non-zero exit is a <see cref="RestoraException"/> with ffmpeg's last message.</summary>
    public void WaitForSuccess(CancellationToken cancellationToken = default)
    {
        using (cancellationToken.Register(Kill)) process.WaitForExit();
        cancellationToken.ThrowIfCancellationRequested();
        if (process.ExitCode != 0) throw new RestoraException($"{file}: {program} failed: {LastError}");
    }

    /// <summary>What the child printed last, for messages.</summary>
    public string LastError
    {
        get
        {
            process.WaitForExit(); // the stderr reader has delivered every line once the process is gone
            lock (errors) return errors.Count > 0 ? string.Join(" / ", errors.TakeLast(2)) : $"exit code {process.ExitCode}";
        }
    }

    void Kill()
    {
        try { if (!process.HasExited) process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { }
    }

    public void Dispose()
    {
        Kill();
        process.Dispose();
    }
}
