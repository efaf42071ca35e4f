namespace Restora.Server;

/// <summary>How <see cref="RestoraServer"/> listens, where it writes, and the limits it puts on what strangers send.</summary>
public sealed record ServerOptions
{
    /// <summary>The address to listen on; the loopback one by default, so nothing off this machine can reach it.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>The port; 0 lets the system choose a free one (<see cref="RestoraServer.Url"/> tells which).</summary>
    public int Port { get; init; } = 8640;

    /// <summary>Where results are written (created if missing); an existing file there is never replaced.</summary>
    public required string OutputFolder { get; init; }

    /// <summary>Threads the engine computes with; null leaves the process's setting (every core).</summary>
    public int? Threads { get; init; }

    /// <summary>Images with more pixels are refused from their header, as <c>--max-pixels</c> does in the CLI.</summary>
    public long MaxPixels { get; init; } = 100_000_000;

    /// <summary>The largest upload accepted, in bytes; larger requests are answered 413 before they are read whole.</summary>
    public long MaxUploadBytes { get; init; } = 256L << 20;

    /// <summary>Jobs waiting or running at once; more are answered 503, so a script cannot fill memory or disk.</summary>
    public int MaxQueuedJobs { get; init; } = 64;

    /// <summary>The longest side of the previews the page shows; larger views load 1:1 regions instead.</summary>
    public int PreviewSide { get; init; } = 2048;

    /// <summary>
    /// The model a job of a task uses when it names none, given the task and the scale asked for (the CLI passes its
    /// own defaults, so the two agree); null: the task's own default model.
    /// </summary>
    public Func<Restora.Models.RestorationTask, int?, string?>? DefaultModel { get; init; }

    /// <summary>Told what the server does (listening, model installs, failed jobs); never the console.</summary>
    public Action<string>? Log { get; init; }
}
