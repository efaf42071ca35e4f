using System.Diagnostics;
using System.Text.Json;

namespace Restora.Server;

/// <summary>Where a job is: waiting its turn, on the engine, or finished one of three ways.</summary>
public enum JobState
{
    /// <summary>Waiting for the engine.</summary>
    Queued,
    /// <summary>Being restored.</summary>
    Running,
    /// <summary>Written to the output folder.</summary>
    Done,
    /// <summary>Could not be done; <see cref="Job.Error"/> says why in one line.</summary>
    Failed,
    /// <summary>Cancelled before it finished.</summary>
    Cancelled,
}

/// <summary>
/// One uploaded image and what is to be done with it. The server's worker changes it, requests read it; every
/// change bumps <see cref="Version"/> and wakes whoever waits in <see cref="WaitForChangeAsync"/> (the event streams).
/// </summary>
public sealed class Job
{
    readonly object gate = new();
    TaskCompletionSource changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    readonly Stopwatch clock = new();

    /// <summary>A job for an upload already checked and stored under the server's own name.</summary>
    internal Job(string id, JobRequest request, StoredUpload upload)
    {
        Id = id;
        Request = request;
        Upload = upload;
    }

    /// <summary>The server's name for the job (random, URL-safe).</summary>
    public string Id { get; }

    /// <summary>What was asked: task, model, parameters.</summary>
    public JobRequest Request { get; }

    /// <summary>The stored input: where the server keeps it and the name the client gave (for messages only).</summary>
    internal StoredUpload Upload { get; }

    /// <summary>Stops the job between tiles.</summary>
    internal CancellationTokenSource Cancellation { get; } = new();

    /// <summary>The current state.</summary>
    public JobState State { get; private set; } = JobState.Queued;

    /// <summary>Tiles finished and tiles in the image (0/0 until the first tile is done).</summary>
    public (int Done, int Total) Tiles { get; private set; }

    /// <summary>Increases with every change.</summary>
    public long Version { get; private set; }

    /// <summary>Why it failed, one line naming the file.</summary>
    public string? Error { get; private set; }

    /// <summary>The result's path in the output folder once done.</summary>
    public string? ResultPath { get; private set; }

    /// <summary>The result's size once done.</summary>
    public (int Width, int Height) ResultSize { get; private set; }

    /// <summary>The model used (the catalog or shipped name).</summary>
    public string? Model { get; private set; }

    /// <summary>The model's enlargement.</summary>
    public int Scale { get; private set; } = 1;

    /// <summary>The result's scores once done (NIQE of both, PSNR/SSIM against the input where sizes match).</summary>
    public JobScores Scores { get; private set; } = JobScores.None;

    /// <summary>Seconds the restore took (load, network, save), once done.</summary>
    public double? Seconds { get; private set; }

    /// <summary>Whether the progress is finished one way or another.</summary>
    public bool IsFinished => State is JobState.Done or JobState.Failed or JobState.Cancelled;

    /// <summary>Fraction done, 0..1.</summary>
    public double Progress => State == JobState.Done ? 1 : Tiles.Total == 0 ? 0 : (double)Tiles.Done / Tiles.Total;

    /// <summary>Seconds left at the pace so far, once a tile is done and while running.</summary>
    public double? EtaSeconds
    {
        get
        {
            lock (gate)
            {
                if (State != JobState.Running || Tiles.Done == 0 || Tiles.Total == 0) return null;
                double elapsed = clock.Elapsed.TotalSeconds;
                return elapsed * (Tiles.Total - Tiles.Done) / Tiles.Done;
            }
        }
    }

    internal void Start(string model, int scale) => Change(() => { State = JobState.Running; Model = model; Scale = scale; clock.Start(); });

    internal void Report(int done, int total) => Change(() => Tiles = (done, total));

    internal void Finish(string path, int width, int height, double seconds, JobScores scores) => Change(() =>
    {
        State = JobState.Done;
        ResultPath = path;
        ResultSize = (width, height);
        Seconds = seconds;
        Scores = scores;
        Tiles = (Math.Max(Tiles.Total, 1), Math.Max(Tiles.Total, 1));
        clock.Stop();
    });

    internal void Fail(string error) => Change(() => { State = JobState.Failed; Error = error; clock.Stop(); });

    /// <summary>Marks a job cancelled; false when it had already finished.</summary>
    internal bool MarkCancelled()
    {
        bool result = false;
        Change(() =>
        {
            if (IsFinished) return;
            State = JobState.Cancelled;
            clock.Stop();
            result = true;
        });
        return result;
    }

    void Change(Action change)
    {
        TaskCompletionSource wake;
        lock (gate)
        {
            change();
            Version++;
            wake = changed;
            changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        wake.TrySetResult();
        Observer?.Invoke();
    }

    /// <summary>Told after every change (the queue, which wakes the stream of all jobs).</summary>
    internal Action? Observer { get; set; }

    /// <summary>Completes when the job changes after <paramref name="seen"/> (at once when it already has), or when cancelled.</summary>
    public Task WaitForChangeAsync(long seen, CancellationToken cancellationToken)
    {
        Task task;
        lock (gate) task = Version != seen ? Task.CompletedTask : changed.Task;
        return task.WaitAsync(cancellationToken);
    }

    /// <summary>The job as the API shows it (snake_case fields, as the CLI's JSON).</summary>
    public void WriteJson(Utf8JsonWriter w)
    {
        lock (gate)
        {
            w.WriteStartObject();
            w.WriteString("id", Id);
            w.WriteString("name", Upload.DisplayName);
            w.WriteString("state", State.ToString().ToLowerInvariant());
            w.WriteNumber("version", Version);
            w.WriteString("task", Request.Task.Name);
            if (Model is not null) w.WriteString("model", Model);
            w.WriteNumber("scale", Scale);
            w.WriteNumber("progress", Math.Round(Progress, 4));
            w.WriteNumber("tiles_done", Tiles.Done);
            w.WriteNumber("tiles_total", Tiles.Total);
            if (EtaSeconds is double eta) w.WriteNumber("eta_seconds", Math.Round(eta, 1));
            w.WriteNumber("input_width", Upload.Width);
            w.WriteNumber("input_height", Upload.Height);
            if (Error is not null) w.WriteString("error", Error);
            if (State == JobState.Done)
            {
                w.WriteNumber("width", ResultSize.Width);
                w.WriteNumber("height", ResultSize.Height);
                w.WriteString("file", Path.GetFileName(ResultPath));
                w.WriteNumber("seconds", Math.Round(Seconds ?? 0, 3));
                Scores.WriteJson(w);
                w.WriteString("result_url", $"/api/jobs/{Id}/result");
                w.WriteString("result_preview_url", $"/api/jobs/{Id}/preview/result");
            }
            w.WriteString("input_preview_url", $"/api/jobs/{Id}/preview/input");
            w.WriteEndObject();
        }
    }
}

/// <summary>What a client asked for: the task, the model (a known name), and the task's parameters it set.</summary>
/// <param name="Task">The task.</param>
/// <param name="Model">A model name from the catalog or the shipped networks.</param>
/// <param name="Scale">The enlargement asked for (super-resolution), checked against the model's.</param>
/// <param name="Parameters">Task parameters given (noise sigma, JPEG quality…), by name.</param>
public sealed record JobRequest(Restora.Models.RestorationTask Task, string Model, int? Scale, IReadOnlyDictionary<string, double> Parameters);

/// <summary>
/// How a finished job scores. NIQE (no reference, lower looks more natural) of the input and of the result; and, when
/// the result has the input's size (denoise, deblock, deblur, colorize…), PSNR and SSIM of the result against the
/// input: not a quality (the input is no clean reference) but how much the restore changed the image.
/// </summary>
/// <param name="InputNiqe">NIQE of the input, when large enough and small enough to score.</param>
/// <param name="ResultNiqe">NIQE of the result, likewise.</param>
/// <param name="Psnr">PSNR (dB, RGB, no shave) of the result against the input; +∞ when identical; null when not scored.</param>
/// <param name="Ssim">SSIM (RGB, no shave) of the result against the input; null when not scored.</param>
public sealed record JobScores(double? InputNiqe, double? ResultNiqe, double? Psnr, double? Ssim)
{
    /// <summary>Nothing scored.</summary>
    public static readonly JobScores None = new(null, null, null, null);

    /// <summary>
    /// Writes the scores that exist: <c>input_niqe</c>, <c>niqe</c>, <c>psnr</c>, <c>ssim</c>. PSNR of identical
    /// images (+∞, which JSON cannot hold) is written as null, as the CLI's <c>--json</c> does.
    /// </summary>
    public void WriteJson(Utf8JsonWriter w)
    {
        if (InputNiqe is double a) w.WriteNumber("input_niqe", Math.Round(a, 4));
        if (ResultNiqe is double b) w.WriteNumber("niqe", Math.Round(b, 4));
        if (Psnr is double p)
        {
            if (double.IsFinite(p)) w.WriteNumber("psnr", Math.Round(p, 6));
            else w.WriteNull("psnr");
        }
        if (Ssim is double s) w.WriteNumber("ssim", Math.Round(s, 6));
    }
}
