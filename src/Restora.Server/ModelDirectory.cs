using System.Text.Json;
using Restora.Models;
using Restora.Models.Zoo;

namespace Restora.Server;

/// <summary>
/// The models a job may name: the catalog's (installed or not) and the networks Restora ships, the same names
/// <c>restora models list</c> shows and opened through the same <see cref="RestorationModel.Open"/>. Only these names
/// are accepted, so a client can never make the server open a file of its choosing. Installs run in the background.
/// </summary>
internal sealed class ModelDirectory(ModelStore store, Action<string>? log)
{
    readonly Dictionary<string, RestorationModel> opened = new(StringComparer.OrdinalIgnoreCase);
    readonly Dictionary<string, Pull> pulls = new(StringComparer.Ordinal);

    /// <summary>An install in progress or finished: its last message, and the error if it failed.</summary>
    sealed record Pull(string Message, bool Running, string? Error);

    /// <summary>One model as the page lists it.</summary>
    public sealed record Entry(string Name, RestorationTask Task, int Scale, string Description, string License, string Source,
        string Format, ModelInfo? Catalog);

    /// <summary>Every model: the catalog's, then the shipped networks (read once: neither changes while serving).</summary>
    public IReadOnlyList<Entry> All() => all ??= List();

    IReadOnlyList<Entry>? all;

    static List<Entry> List()
    {
        var list = new List<Entry>();
        foreach (var m in ModelCatalog.All)
            if (TaskRegistry.Tasks.Find(m.Task) is { } task)
                list.Add(new Entry(m.Name, task, m.Scale, m.Description, m.License, m.Package.Spec, m.Format, m));
        foreach (var name in TrainedModels.Shipped)
        {
            var meta = TrainedModel.ReadMetadata(TrainedModels.Locate(name)!);
            if (TaskRegistry.Tasks.Find(meta.Task) is not { } task) continue;
            list.Add(new Entry(name, task, meta.Scale, $"trained by Restora: {meta.Arch}, {meta.Iterations} iterations", "Restora's",
                "shipped with Restora", "safetensors", null));
        }
        return list;
    }

    /// <summary>The model called <paramref name="name"/>, or null: names only, never paths.</summary>
    public Entry? Find(string name) => All().FirstOrDefault(e => string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Whether it can be opened without an install.</summary>
    public bool IsInstalled(Entry e) => e.Catalog is null || store.IsInstalled(e.Catalog);

    /// <summary>The model opened (once; later jobs reuse it). The caller runs one job at a time.</summary>
    public RestorationModel Open(Entry e)
    {
        lock (opened)
        {
            if (!opened.TryGetValue(e.Name, out var model))
                opened[e.Name] = model = RestorationModel.Open(e.Name, new ModelOpenOptions { ModelCache = store.Root, Log = log });
            return model;
        }
    }

    /// <summary>Starts installing <paramref name="e"/> in the background (nothing when installed or already under way).</summary>
    public void StartPull(Entry e)
    {
        if (e.Catalog is not { } info || store.IsInstalled(info)) return;
        lock (pulls)
        {
            if (pulls.TryGetValue(info.Package.Spec, out var p) && p.Running) return;
            pulls[info.Package.Spec] = new Pull($"fetching {info.Package.Spec}", true, null);
        }
        _ = Task.Run(() =>
        {
            void Say(string message) { lock (pulls) pulls[info.Package.Spec] = new Pull(message, true, null); log?.Invoke(message); }
            try
            {
                store.Pull(info.Package, Say);
                lock (pulls) pulls[info.Package.Spec] = new Pull("installed", false, null);
            }
            catch (Exception ex) // a failed install is reported in the page; it never stops the server
            {
                string error = ex.Message.ReplaceLineEndings(" ");
                lock (pulls) pulls[info.Package.Spec] = new Pull("failed", false, error);
                log?.Invoke($"{info.Name}: install failed: {error}");
            }
        });
    }

    /// <summary>The models as <c>GET /api/models</c> lists them.</summary>
    public void WriteJson(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteStartArray("models");
        foreach (var e in All())
        {
            w.WriteStartObject();
            w.WriteString("name", e.Name);
            w.WriteString("task", e.Task.Name);
            w.WriteNumber("scale", e.Scale);
            w.WriteString("description", e.Description);
            w.WriteString("license", e.License);
            w.WriteString("source", e.Source);
            w.WriteString("format", e.Format);
            if (e.Catalog is { } info) w.WriteString("architecture", info.Architecture);
            w.WriteBoolean("installed", IsInstalled(e));
            Pull? pull = null;
            if (e.Catalog is { } c) lock (pulls) pulls.TryGetValue(c.Package.Spec, out pull);
            if (pull is not null && !IsInstalled(e))
            {
                w.WriteBoolean("pulling", pull.Running);
                w.WriteString("pull_message", pull.Message);
                if (pull.Error is not null) w.WriteString("pull_error", pull.Error);
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>Releases the opened networks.</summary>
    public void Dispose()
    {
        lock (opened)
        {
            foreach (var m in opened.Values) m.Dispose();
            opened.Clear();
        }
    }
}
