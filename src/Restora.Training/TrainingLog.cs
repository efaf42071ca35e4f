using System.Text.Encodings.Web;
using System.Text.Json;

namespace Restora.Training;

/// <summary>
/// The run's history as JSON lines, one event per line ("train", "val", "checkpoint", "start", "end"), appended
/// across resumed sessions and flushed per line so `tail -f` and a crash both see complete lines.
/// </summary>
public sealed class TrainingLog : IDisposable
{
    readonly FileStream? stream;

    public TrainingLog(string? path)
    {
        if (path is null) return;
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
    }

    public void Write(string @event, int iteration, Action<Utf8JsonWriter> fields)
    {
        if (stream is null) return;
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("event", @event);
            w.WriteNumber("iter", iteration);
            w.WriteString("time", DateTime.UtcNow.ToString("O"));
            fields(w);
            w.WriteEndObject();
        }
        stream.WriteByte((byte)'\n');
        stream.Flush();
    }

    public void Dispose() => stream?.Dispose();
}

static class JsonNumbers
{
    /// <summary>JSON has no NaN or Infinity; those become null.</summary>
    public static void WriteFinite(this Utf8JsonWriter w, string name, double value, int digits = -1)
    {
        if (double.IsFinite(value)) w.WriteNumber(name, digits < 0 ? value : Math.Round(value, digits));
        else w.WriteNull(name);
    }
}
