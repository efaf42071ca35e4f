using System.Net;
using Microsoft.AspNetCore.Http;

namespace Restora.Server;

/// <summary>
/// Refuses what a web page elsewhere could make a browser send here. A Host header that is not an IP address or
/// <c>localhost</c> with our port is DNS rebinding (evil.example resolving to 127.0.0.1): 403. An Origin header that
/// is not this server's own is a cross-site request (a form on another site posting an upload): 403. Scripts that
/// send no Origin (curl, HttpClient) are not browsers and pass.
/// </summary>
internal static class RequestGuard
{
    /// <summary>Why the request is refused, or null when it may go on.</summary>
    public static string? Check(HttpRequest request, int port)
    {
        var host = request.Host;
        if (!host.HasValue || !IsLocalName(host.Host) || (host.Port ?? 80) != port)
            return $"refused: Host '{host.Value}' is not this server (only an IP address or localhost with port {port})";
        var origin = request.Headers.Origin;
        if (origin.Count > 0)
        {
            string value = origin.ToString();
            if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme != "http"
                || !string.Equals(uri.Authority, host.Value, StringComparison.OrdinalIgnoreCase))
                return $"refused: a request from another site ({value})";
        }
        return null;
    }

    /// <summary>An IP literal cannot be rebound by DNS, and localhost never leaves the machine.</summary>
    static bool IsLocalName(string name) =>
        string.Equals(name, "localhost", StringComparison.OrdinalIgnoreCase) || IPAddress.TryParse(name.Trim('[', ']'), out _);
}
