using System.Buffers;
using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Restora.Imaging;
using Restora.Models;

namespace Restora.Server;

/// <summary>
/// The page and the JSON API (README "restora serve"). Every answer is JSON with snake_case fields, as the CLI's
/// <c>--json</c>; every refusal is <c>{"error": "one line"}</c> with its status: 400 a bad file or field, 403 another
/// site, 404 no such job, 409 not yet done, 413 too large, 503 the queue full.
/// </summary>
internal static class Api
{
    public static void Map(WebApplication app, RestoraServer.State state)
    {
        app.MapGet("/", context => Asset(context, "/"));
        app.MapGet("/{file}", context => Asset(context, context.Request.Path));
        app.MapGet("/api/tasks", context => Json(context, 200, w => WriteTasks(w, state)));
        app.MapGet("/api/models", context => Json(context, 200, state.Models.WriteJson));
        app.MapPost("/api/models/{name}/pull", context => Pull(context, state));
        app.MapGet("/api/jobs", context => Json(context, 200, w => WriteJobs(w, state.Queue)));
        app.MapPost("/api/jobs", context => Submit(context, state));
        app.MapGet("/api/jobs/{id}", context => WithJob(context, state, job => Json(context, 200, job.WriteJson)));
        app.MapDelete("/api/jobs/{id}", context => WithJob(context, state, job =>
        {
            state.Queue.Cancel(job);
            return Json(context, 202, job.WriteJson);
        }));
        app.MapGet("/api/jobs/{id}/events", context => WithJob(context, state, job => JobEvents(context, job)));
        app.MapGet("/api/events", context => AllEvents(context, state.Queue));
        app.MapGet("/api/jobs/{id}/result", context => WithJob(context, state, job => Result(context, job)));
        // (No regex route constraints: the slim host leaves them out; the handlers check "which" themselves.)
        app.MapGet("/api/jobs/{id}/preview/{which}", context => WithJob(context, state, job => Preview(context, state, job)));
        app.MapGet("/api/jobs/{id}/region/{which}", context => WithJob(context, state, job => Region(context, state, job)));
        app.MapGet("/api/results.zip", context => Zip(context, state));
    }

    // ---------- answers ----------

    /// <summary>Writes a JSON answer (built in memory: Kestrel takes no synchronous writes, and answers are small).</summary>
    public static async Task Json(HttpContext context, int status, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer)) write(w);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        await context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted);
    }

    /// <summary><c>{"error": message}</c> with <paramref name="status"/>.</summary>
    public static Task Error(HttpContext context, int status, string message) =>
        Json(context, status, w => { w.WriteStartObject(); w.WriteString("error", message); w.WriteEndObject(); });

    static async Task Asset(HttpContext context, string path)
    {
        if (StaticAssets.Find(path) is not var (bytes, type)) { await Error(context, 404, $"{path}: not found"); return; }
        context.Response.ContentType = type;
        context.Response.Headers.CacheControl = "no-cache";
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
    }

    static Task WithJob(HttpContext context, RestoraServer.State state, Func<Job, Task> then)
    {
        string id = (string)context.Request.RouteValues["id"]!;
        if (context.Request.RouteValues.TryGetValue("which", out var which) && which is not ("input" or "result"))
            return Error(context, 404, $"{context.Request.Path}: not found (input or result)");
        return state.Queue.Find(id) is { } job ? then(job) : Error(context, 404, $"no job '{id}'");
    }

    // ---------- tasks and models ----------

    static void WriteTasks(Utf8JsonWriter w, RestoraServer.State state)
    {
        var models = state.Models.All();
        w.WriteStartObject();
        w.WriteStartArray("tasks");
        foreach (var task in TaskRegistry.Tasks.All)
        {
            w.WriteStartObject();
            w.WriteString("name", task.Name);
            w.WriteString("description", task.Description);
            w.WriteBoolean("enlarges", task.Enlarges);
            w.WriteStartArray("scales");
            foreach (int s in models.Where(m => m.Task == task).Select(m => m.Scale).Distinct().Order()) w.WriteNumberValue(s);
            w.WriteEndArray();
            if (DefaultModel(state.Options, task, null) is string model) w.WriteString("default_model", model);
            w.WriteStartArray("parameters");
            // The scale is the model's (and the "scale" field's), not a free parameter here.
            foreach (var p in task.Parameters.Where(p => p.Name != "scale")) p.WriteJson(w);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    static string? DefaultModel(ServerOptions options, RestorationTask task, int? scale) =>
        options.DefaultModel?.Invoke(task, scale) ?? task.DefaultModel;

    static Task Pull(HttpContext context, RestoraServer.State state)
    {
        string name = (string)context.Request.RouteValues["name"]!;
        if (state.Models.Find(name) is not { } entry) return Error(context, 404, $"unknown model '{name}' (see GET /api/models)");
        state.Models.StartPull(entry);
        return Json(context, 202, state.Models.WriteJson);
    }

    // ---------- jobs ----------

    static void WriteJobs(Utf8JsonWriter w, JobQueue queue)
    {
        w.WriteStartObject();
        w.WriteStartArray("jobs");
        foreach (var job in queue.All) job.WriteJson(w);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>
    /// POST /api/jobs, multipart: <c>file</c>, <c>task</c>, optional <c>model</c> and <c>scale</c>, and the task's
    /// parameters by name (sigma, quality…). Everything is checked before the job is queued, the image decoded
    /// included, so a bad file is answered here with the CLI's one-line message.
    /// </summary>
    static async Task Submit(HttpContext context, RestoraServer.State state)
    {
        var options = state.Options;
        if (context.Request.ContentLength > options.MaxUploadBytes + (1 << 20)) { await TooLarge(context, options); return; }
        if (!context.Request.HasFormContentType) { await Error(context, 400, "send the image as multipart/form-data with a 'file' field"); return; }
        IFormCollection form;
        try { form = await context.Request.ReadFormAsync(context.RequestAborted); }
        catch (Exception e) when (e is InvalidDataException or BadHttpRequestException { StatusCode: 413 })
        {
            await TooLarge(context, options);
            return;
        }
        catch (BadHttpRequestException e) { await Error(context, 400, e.Message); return; }

        var file = form.Files.GetFile("file");
        if (file is null) { await Error(context, 400, "no 'file' field: send the image as multipart/form-data"); return; }
        if (file.Length > options.MaxUploadBytes) { await TooLarge(context, options, Uploads.DisplayName(file.FileName)); return; }
        if (ParseRequest(form, options, state.Models) is not (JobRequest request, null))
        {
            await Error(context, 400, ParseRequest(form, options, state.Models).Error!);
            return;
        }
        if (state.Queue.IsFull) { await Error(context, 503, $"the queue is full ({options.MaxQueuedJobs} jobs waiting); try again when some are done"); return; }

        string id = Guid.NewGuid().ToString("N")[..16];
        byte[] bytes;
        using (var memory = new MemoryStream((int)file.Length))
        {
            await file.CopyToAsync(memory, context.RequestAborted);
            bytes = memory.ToArray();
        }
        StoredUpload upload;
        try { upload = await state.Uploads.StoreAsync(id, file.FileName, bytes, context.RequestAborted); }
        catch (UploadRefusedException e) { await Error(context, e.Status, e.Message); return; }

        var job = new Job(id, request, upload);
        if (!state.Queue.TryAdd(job))
        {
            state.Uploads.Delete(upload, id);
            await Error(context, 503, $"the queue is full ({options.MaxQueuedJobs} jobs waiting); try again when some are done");
            return;
        }
        await Json(context, 201, job.WriteJson);
    }

    static Task TooLarge(HttpContext context, ServerOptions options, string? name = null) =>
        Error(context, 413, $"{(name is null ? "the upload" : name)}: larger than the limit of {options.MaxUploadBytes >> 20} MB");

    /// <summary>The task, model, scale and parameters of a submission, or the one-line reason they are refused.</summary>
    static (JobRequest? Request, string? Error) ParseRequest(IFormCollection form, ServerOptions options, ModelDirectory models)
    {
        string taskName = form["task"].ToString().Trim();
        if (taskName.Length == 0) taskName = "sr";
        var task = TaskRegistry.Tasks.Find(taskName == "upscale" ? "sr" : taskName);
        if (task is null) return (null, $"unknown task '{taskName}' (known: upscale, {string.Join(", ", TaskRegistry.Tasks.Names)})");
        int? scale = null;
        if (form["scale"].ToString() is { Length: > 0 } s)
        {
            if (!int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 1) return (null, $"scale: a whole number, not '{s}'");
            scale = n;
        }
        string modelName = form["model"].ToString().Trim();
        if (modelName.Length == 0) modelName = DefaultModel(options, task, scale) ?? "";
        if (modelName.Length == 0) return (null, $"{task.Name}: name a model (GET /api/models)");
        var entry = models.Find(modelName);
        if (entry is null) return (null, $"unknown model '{modelName}' (GET /api/models lists the known ones)");
        if (entry.Task != task) return (null, $"{entry.Name} is a {entry.Task.Name} model, not a {task.Name} one");
        if (scale is int wanted && wanted != entry.Scale) return (null, $"{entry.Name} enlarges x{entry.Scale}, not x{wanted}; pick a model of that scale");
        if (!models.IsInstalled(entry)) return (null, $"{entry.Name} is not installed: pull it first (POST /api/models/{entry.Name}/pull)");

        var parameters = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var p in task.Parameters.Where(p => p.Name != "scale"))
        {
            if (form[p.Name].ToString() is not { Length: > 0 } text) continue;
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v)) return (null, $"{p.Name}: a number, not '{text}'");
            parameters[p.Name] = v;
        }
        try
        {
            new TaskSettings { Task = task, Parameters = new TaskParameters(parameters.ToDictionary(kv => kv.Key, kv => StrengthRange.Fixed(kv.Value))) }.Validate();
        }
        catch (ArgumentException e) { return (null, $"{task.Name}: {e.Message}"); }
        return (new JobRequest(task, entry.Name, scale, parameters), null);
    }

    // ---------- live progress ----------

    /// <summary>Server-sent events: the job as JSON at once and after every change, until it finishes.</summary>
    static async Task JobEvents(HttpContext context, Job job)
    {
        StartEvents(context);
        var abort = context.RequestAborted;
        try
        {
            while (!abort.IsCancellationRequested)
            {
                long seen = job.Version;
                await SendEvent(context, "job", job.WriteJson);
                if (job.IsFinished) break;
                await Throttle(job.WaitForChangeAsync(seen, abort), context);
            }
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested) { }
    }

    /// <summary>Server-sent events: every job, at once and after any change. One stream for the page, however many jobs
    /// (browsers allow six connections to one server; a stream per job would stall the seventh).</summary>
    static async Task AllEvents(HttpContext context, JobQueue queue)
    {
        StartEvents(context);
        var abort = context.RequestAborted;
        try
        {
            while (!abort.IsCancellationRequested)
            {
                var (_, next) = queue.Watch();
                await SendEvent(context, "jobs", w => WriteJobs(w, queue));
                await Throttle(next.WaitAsync(abort), context);
            }
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested) { }
    }

    static void StartEvents(HttpContext context)
    {
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-store";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
    }

    /// <summary>Waits for <paramref name="change"/>, sending a comment every 15 s so proxies keep the stream open; then
    /// a tenth of a second more, so a job reporting hundreds of tiles a second sends ten events, not hundreds.</summary>
    static async Task Throttle(Task change, HttpContext context)
    {
        while (await Task.WhenAny(change, Task.Delay(TimeSpan.FromSeconds(15), context.RequestAborted)) != change)
        {
            context.RequestAborted.ThrowIfCancellationRequested();
            await context.Response.WriteAsync(": still here\n\n", context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
        }
        await change;
        await Task.Delay(100, context.RequestAborted);
    }

    static async Task SendEvent(HttpContext context, string name, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer)) write(w);
        await context.Response.WriteAsync($"event: {name}\ndata: ", context.RequestAborted);
        await context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted);
        await context.Response.WriteAsync("\n\n", context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }

    // ---------- results and views ----------

    static Task Result(HttpContext context, Job job)
    {
        if (job.State != JobState.Done || job.ResultPath is not string path)
            return Error(context, 409, $"job {job.Id} is {job.State.ToString().ToLowerInvariant()}, not done");
        if (!File.Exists(path)) return Error(context, 410, $"{Path.GetFileName(path)}: no longer in the output folder");
        return Results.File(path, ContentType(path), Path.GetFileName(path)).ExecuteAsync(context);
    }

    static Task Preview(HttpContext context, RestoraServer.State state, Job job)
    {
        string which = (string)context.Request.RouteValues["which"]!;
        if (which == "result" && job.State != JobState.Done) return Error(context, 409, $"job {job.Id} is not done");
        string path = state.Uploads.PreviewPath(job.Id, which);
        if (!File.Exists(path)) return Error(context, 404, $"no {which} preview for job {job.Id}");
        return Results.File(path, "image/png").ExecuteAsync(context);
    }

    /// <summary>The largest region one request returns: a screen's worth at 1:1, never a whole 30-MP image.</summary>
    const int MaxRegionSide = 2048;

    /// <summary>GET …/region/input|result?x=&amp;y=&amp;w=&amp;h=: the pixels of that rectangle at 1:1, as PNG (for high zoom).</summary>
    static async Task Region(HttpContext context, RestoraServer.State state, Job job)
    {
        string which = (string)context.Request.RouteValues["which"]!;
        if (which == "result" && (job.State != JobState.Done || job.ResultPath is null)) { await Error(context, 409, $"job {job.Id} is not done"); return; }
        int Read(string key, int max)
        {
            string text = context.Request.Query[key].ToString();
            return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int v) ? Math.Clamp(v, -max, max) : -1;
        }
        int x = Read("x", int.MaxValue / 4), y = Read("y", int.MaxValue / 4), w = Read("w", MaxRegionSide), h = Read("h", MaxRegionSide);
        if (x < 0 || y < 0 || w <= 0 || h <= 0) { await Error(context, 400, $"give x, y (from 0) and w, h (1..{MaxRegionSide})"); return; }
        byte[]? png = await Task.Run(() =>
        {
            var image = state.Cache.Get(Uploads.CacheKey(job.Id, which), () => which == "input"
                ? ImageFile.Load(job.Upload.Path, new DecodeOptions { MaxPixels = state.Options.MaxPixels })
                // The result is ours and may be larger than inputs are allowed to be (a 30-MP photo x4).
                : ImageFile.Load(job.ResultPath!, new DecodeOptions { MaxPixels = long.MaxValue }));
            return Previews.Region(image, x, y, w, h);
        }, context.RequestAborted);
        if (png is null) { await Error(context, 400, "the region lies outside the image"); return; }
        context.Response.ContentType = "image/png";
        context.Response.Headers.CacheControl = "private, max-age=3600";
        await context.Response.Body.WriteAsync(png, context.RequestAborted);
    }

    /// <summary>
    /// Every finished result of this server, as one zip (entries stored: the images are compressed already). Built in
    /// a temporary file first: the zip writer wants a seekable stream, and a half-built zip is never sent.
    /// </summary>
    static async Task Zip(HttpContext context, RestoraServer.State state)
    {
        var files = state.Queue.All.Where(j => j.State == JobState.Done && j.ResultPath is not null && File.Exists(j.ResultPath))
            .Select(j => j.ResultPath!).Distinct().ToList();
        if (files.Count == 0) { await Error(context, 404, "no results yet"); return; }
        Directory.CreateDirectory(state.Uploads.Folder);
        string temp = Path.Combine(state.Uploads.Folder, $"results-{Guid.NewGuid():N}.zip");
        try
        {
            await Task.Run(() =>
            {
                using var zip = ZipFile.Open(temp, ZipArchiveMode.Create);
                foreach (var file in files) zip.CreateEntryFromFile(file, Path.GetFileName(file), CompressionLevel.NoCompression);
            }, context.RequestAborted);
            context.Response.ContentType = "application/zip";
            context.Response.Headers.ContentDisposition = "attachment; filename=\"restora-results.zip\"";
            await context.Response.SendFileAsync(temp, context.RequestAborted);
        }
        finally { File.Delete(temp); }
    }

    static string ContentType(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".png" => "image/png",
        ".jpg" or ".jpeg" => "image/jpeg",
        ".webp" => "image/webp",
        ".tif" or ".tiff" => "image/tiff",
        ".bmp" => "image/bmp",
        ".heic" or ".heif" => "image/heic",
        ".avif" => "image/avif",
        _ => "application/octet-stream",
    };
}
