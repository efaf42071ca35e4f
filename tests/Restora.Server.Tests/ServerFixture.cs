using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using Restora.Imaging;
using Restora.Imaging.Tests.Metadata;

namespace Restora.Server.Tests;

/// <summary>
/// One server for the whole collection, started in this process on a free port with small limits (2 MB uploads,
/// 1 megapixel, 160-px previews so that zooming in loads 1:1 regions), plus the test photo and `restora upscale`'s
/// result for it, the reference every served result is compared with.
/// </summary>
public sealed class ServerFixture : IAsyncLifetime
{
    /// <summary>The shipped x2 network: small and fast (under a second for the test photo), and in the repository.</summary>
    public const string Model = "restora-sr-x2";
    public const long MaxUploadBytes = 2 << 20;
    public const long MaxPixels = 1_000_000;

    public string Root { get; } = Directory.CreateTempSubdirectory("restora-serve-test-").FullName;
    public string Output => Path.Combine(Root, "results");
    public RestoraServer Server { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;

    /// <summary>A 128x128 photo (Set5's butterfly, shrunk) carrying camera metadata.</summary>
    public string Photo => Path.Combine(Root, "butterfly.png");

    /// <summary>`restora upscale Photo --model restora-sr-x2`'s output file.</summary>
    public string CliResult => Path.Combine(Root, "cli", "butterfly-x2.png");

    public async Task InitializeAsync()
    {
        var photo = Resize.ToSize(ImageFile.Load(Path.Combine(SharedFolder, "datasets", "CSet5", "butterfly.png")), 128, 128);
        photo.Metadata = SampleMetadata.Full(1, 128, 128);
        ImageFile.Save(photo, Photo);
        Directory.CreateDirectory(Path.GetDirectoryName(CliResult)!);
        var cli = Cli.Run("upscale", Photo, "-o", CliResult, "--model", Model);
        Assert.True(cli.ExitCode == 0, cli.Stderr);

        Server = await RestoraServer.StartAsync(new ServerOptions
        {
            Port = 0,
            OutputFolder = Output,
            MaxUploadBytes = MaxUploadBytes,
            MaxPixels = MaxPixels,
            PreviewSide = 160,
        });
        Http = new HttpClient { BaseAddress = Server.Url, Timeout = TimeSpan.FromMinutes(2) };
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
        try { Directory.Delete(Root, true); } catch (IOException) { }
    }

    /// <summary>POST /api/jobs with <paramref name="file"/> under <paramref name="name"/> and the given form fields.</summary>
    public async Task<HttpResponseMessage> Submit(byte[] file, string name, params (string Key, string Value)[] fields)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/jobs") { Content = Form(file, name, fields) };
        return await Http.SendAsync(request);
    }

    public static MultipartFormDataContent Form(byte[] file, string name, params (string Key, string Value)[] fields)
    {
        var form = new MultipartFormDataContent();
        var content = new ByteArrayContent(file);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(content, "file", name);
        foreach (var (key, value) in fields) form.Add(new StringContent(value), key);
        return form;
    }

    /// <summary>Submits the photo for the x2 upscale and returns the job's id.</summary>
    public async Task<string> SubmitPhoto()
    {
        using var response = await Submit(File.ReadAllBytes(Photo), "butterfly.png", ("task", "upscale"), ("scale", "2"), ("model", Model));
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!;
    }

    /// <summary>Follows the job's event stream to its end; returns every event's JSON.</summary>
    public async Task<List<JsonElement>> Follow(string id)
    {
        var events = new List<JsonElement>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        using var stream = await Http.GetStreamAsync($"api/jobs/{id}/events", timeout.Token);
        using var reader = new StreamReader(stream);
        while (await reader.ReadLineAsync(timeout.Token) is string line)
            if (line.StartsWith("data: ", StringComparison.Ordinal)) events.Add(JsonDocument.Parse(line[6..]).RootElement.Clone());
        return events;
    }

    /// <summary>../shared beside the repository (the datasets).</summary>
    public static string SharedFolder => Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared"));

    public static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Restora.slnx"))) return dir.FullName;
            throw new DirectoryNotFoundException("no Restora.slnx above " + AppContext.BaseDirectory);
        }
    }
}

[CollectionDefinition("server")]
public sealed class ServerCollection : ICollectionFixture<ServerFixture>;

/// <summary>The built `restora` (beside the tests, from the project reference), run as a user runs it.</summary>
public static class Cli
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static Result Run(params string[] args)
    {
        using var p = Start(args);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(3))) { p.Kill(true); throw new TimeoutException($"restora {string.Join(' ', args)} hung"); }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    public static Process Start(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "restora.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        return Process.Start(psi)!;
    }
}
