using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Restora.Models.Zoo;

namespace Restora.Server;

/// <summary>
/// <c>restora serve</c>: a local web app (the page and its JSON API, <see cref="Api"/>) over the library. Listens on
/// the loopback address by default, refuses requests from other sites (<see cref="RequestGuard"/>), runs uploaded
/// images one at a time through the same restore path the CLI uses, and writes results into
/// <see cref="ServerOptions.OutputFolder"/>.
/// </summary>
public sealed class RestoraServer : IAsyncDisposable
{
    readonly WebApplication app;
    readonly State state;

    RestoraServer(WebApplication app, State state, Uri url)
    {
        this.app = app;
        this.state = state;
        Url = url;
    }

    /// <summary>Where the page is: http://host:port/ with the port actually bound.</summary>
    public Uri Url { get; }

    /// <summary>Everything the endpoints share.</summary>
    internal sealed record State(ServerOptions Options, JobQueue Queue, Uploads Uploads, ModelDirectory Models, ImageCache Cache)
    {
        /// <summary>The port the server listens on (the Host header must carry it).</summary>
        public int Port { get; set; }
    }

    /// <summary>Starts listening; the server runs until disposed. A bad host or a port in use is a <see cref="RestoraException"/>.</summary>
    public static async Task<RestoraServer> StartAsync(ServerOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var address = ParseHost(options.Host);
        if (options.Threads is int threads) Core.Compute.Threads = threads;
        string output = Path.GetFullPath(options.OutputFolder);
        try { Directory.CreateDirectory(output); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new RestoraException($"{output}: cannot create the output folder ({e.Message})"); }
        options = options with { OutputFolder = output };

        var cache = new ImageCache();
        var uploads = new Uploads(Path.Combine(Path.GetTempPath(), $"restora-serve-{Guid.NewGuid():N}"), options, cache);
        var models = new ModelDirectory(ModelStore.Default(), options.Log);
        var restorer = new Restorer(options, models, uploads, cache);
        var queue = new JobQueue(restorer.Run, job => uploads.Delete(job.Upload, job.Id), options.MaxQueuedJobs, options.Log);
        var state = new State(options, queue, uploads, models, cache);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders(); // the library never writes to the console; the command says what it needs to
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(address, options.Port);
            // The multipart envelope around the file adds a little; the file itself is checked against the limit.
            k.Limits.MaxRequestBodySize = options.MaxUploadBytes + (1 << 20);
        });
        builder.Services.Configure<FormOptions>(f => f.MultipartBodyLengthLimit = options.MaxUploadBytes + (1 << 20));
        var app = builder.Build();
        app.Use(async (context, next) =>
        {
            if (RequestGuard.Check(context.Request, state.Port) is string refusal)
            {
                await Api.Error(context, StatusCodes.Status403Forbidden, refusal);
                return;
            }
            context.Response.Headers.XContentTypeOptions = "nosniff";
            context.Response.Headers["Referrer-Policy"] = "no-referrer";
            // The page loads nothing from elsewhere; saying so also keeps injected markup from calling out.
            context.Response.Headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' blob: data:; frame-ancestors 'none'";
            try
            {
                await next(context);
            }
            catch (Exception e) when (!context.RequestAborted.IsCancellationRequested)
            {
                // A bug in one request answers that request, as a job's bug fails that job: the server goes on.
                options.Log?.Invoke($"{context.Request.Method} {context.Request.Path}: {e}");
                if (!context.Response.HasStarted)
                    await Api.Error(context, StatusCodes.Status500InternalServerError, $"internal error: {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}");
            }
        });
        app.UseRouting(); // after the guard, so a refused request never reaches routing and a routing bug is caught above
        Api.Map(app, state);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (IOException e) // the port is taken, or the address is not this machine's
        {
            queue.Dispose();
            await app.DisposeAsync();
            throw new RestoraException($"serve: cannot listen on {options.Host}:{options.Port}: {e.Message}");
        }
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var url = new Uri(bound.EndsWith('/') ? bound : bound + "/");
        state.Port = url.Port;
        options.Log?.Invoke($"serving on {url} (results in {output})");
        return new RestoraServer(app, state, url);
    }

    /// <summary>An IP address, or localhost; names that DNS resolves are not taken (they could resolve elsewhere later).</summary>
    static IPAddress ParseHost(string host)
    {
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)) return IPAddress.Loopback;
        return IPAddress.TryParse(host.Trim('[', ']'), out var address) ? address
            : throw new RestoraException($"serve: --host takes an IP address (127.0.0.1, ::1, 0.0.0.0) or localhost, not '{host}'");
    }

    /// <summary>Completes when the server stops (Ctrl+C in the command, or <paramref name="cancellationToken"/>).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => app.WaitForShutdownAsync(cancellationToken);

    /// <summary>Stops listening, cancels unfinished jobs, and removes the uploads (the results stay).</summary>
    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
        state.Queue.Dispose();
        state.Models.Dispose();
        try { Directory.Delete(state.Uploads.Folder, recursive: true); } catch (DirectoryNotFoundException) { }
    }
}
