using Restora.Imaging;
using Restora.Models;
using Restora.Server;

namespace Restora.Cli.Commands;

/// <summary>
/// restora serve [--host 127.0.0.1] [--port N] [--output DIR] [--threads N] [--max-pixels N] [--max-upload MB]: the
/// local web app (<see cref="RestoraServer"/>). Prints the page's address on stdout, then serves until Ctrl+C.
/// </summary>
public sealed class ServeCommand : CliCommand
{
    /// <inheritdoc/>
    public override string Name => "serve";
    /// <inheritdoc/>
    public override string Description => "a local web app: drop images, restore them, compare before/after, download (binds 127.0.0.1)";
    /// <inheritdoc/>
    public override IReadOnlyList<OptionSpec> Options =>
    [
        new("--host", "the address to listen on: an IP address or localhost (default 127.0.0.1: this machine only)", "ADDR"),
        new("--port", "the port (default 8640; 0 picks a free one)", "N"),
        new("-o", "the folder results are written to (default ./restora-results); existing files are never replaced", "DIR", "--output"),
        new("--max-upload", "the largest upload accepted, in megabytes (default 256)", "MB"),
        new("--queue", "jobs waiting at once before uploads are refused (default 64)", "N"),
    ];

    /// <inheritdoc/>
    public override int Run(Arguments args)
    {
        var common = CommonOptions.From(args);
        var options = new ServerOptions
        {
            Host = args.Get("--host") ?? "127.0.0.1",
            Port = args.GetInt("--port", 8640, 0, 65535),
            OutputFolder = args.Get("-o") ?? "restora-results",
            MaxPixels = common.Decode.MaxPixels,
            MaxUploadBytes = (long)args.GetInt("--max-upload", 256, 1, 64 * 1024) << 20,
            MaxQueuedJobs = args.GetInt("--queue", 64, 1, 10_000),
            // The same default upscaler as `restora upscale`, so a job that names no model restores as the command does.
            DefaultModel = (task, scale) => task.Enlarges ? UpscaleCommand.DefaultModel(scale ?? 4) : task.DefaultModel,
            Log = m => Console.Error.WriteLine($"restora serve: {m}"),
        };
        var server = RestoraServer.StartAsync(options).GetAwaiter().GetResult();
        using var stop = new CancellationTokenSource();
        ConsoleCancelEventHandler interrupt = (_, e) => { e.Cancel = true; stop.Cancel(); };
        EventHandler exit = (_, _) => stop.Cancel();
        Console.CancelKeyPress += interrupt;
        AppDomain.CurrentDomain.ProcessExit += exit; // SIGTERM: stop as for Ctrl+C, so the uploads folder is removed
        try
        {
            Console.WriteLine(server.Url);
            Console.Out.Flush();
            try { server.WaitForShutdownAsync(stop.Token).GetAwaiter().GetResult(); }
            catch (OperationCanceledException) { }
        }
        finally
        {
            Console.CancelKeyPress -= interrupt;
            AppDomain.CurrentDomain.ProcessExit -= exit;
            server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        return 0;
    }
}
