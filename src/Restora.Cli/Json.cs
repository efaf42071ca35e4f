using System.Text.Encodings.Web;
using System.Text.Json;

namespace Restora.Cli;

/// <summary>The one JSON object a --json run prints on stdout.</summary>
public static class Json
{
    public static void Write(Action<Utf8JsonWriter> body)
    {
        using var stdout = Console.OpenStandardOutput();
        using (var w = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }
        stdout.Write("\n"u8);
    }

    /// <summary>JSON has no Infinity: identical images (PSNR ∞) are written as null.</summary>
    public static void WriteMetric(this Utf8JsonWriter w, string name, double value)
    {
        if (double.IsFinite(value)) w.WriteNumber(name, Math.Round(value, 6));
        else w.WriteNull(name);
    }
}
