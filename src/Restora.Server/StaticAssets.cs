using System.Reflection;

namespace Restora.Server;

/// <summary>The page's files, embedded in this assembly (wwwroot/), served by name: nothing is read from disk or a CDN.</summary>
internal static class StaticAssets
{
    static readonly Dictionary<string, (byte[] Bytes, string Type)> files = Load();

    static Dictionary<string, (byte[], string)> Load()
    {
        var assembly = typeof(StaticAssets).Assembly;
        var result = new Dictionary<string, (byte[], string)>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("wwwroot/", StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            result["/" + name["wwwroot/".Length..]] = (memory.ToArray(), TypeOf(name));
        }
        return result;
    }

    static string TypeOf(string name) => Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".svg" => "image/svg+xml",
        _ => "application/octet-stream",
    };

    /// <summary>The file served at <paramref name="path"/> ("/" is the page), or null.</summary>
    public static (byte[] Bytes, string Type)? Find(string path) =>
        files.TryGetValue(path == "/" ? "/index.html" : path, out var file) ? file : null;
}
