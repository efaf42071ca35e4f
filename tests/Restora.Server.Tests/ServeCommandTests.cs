using System.Net;

namespace Restora.Server.Tests;

/// <summary>`restora serve` as a user starts it: it prints its address on stdout and serves there.</summary>
public class ServeCommandTests
{
    [Fact]
    public async Task Serve_prints_its_address_and_answers_there_on_the_loopback_address_only()
    {
        string output = Directory.CreateTempSubdirectory("restora-serve-cmd-").FullName;
        using var process = Cli.Start("serve", "--port", "0", "-o", output);
        try
        {
            var line = process.StandardOutput.ReadLineAsync();
            Assert.True(line.Wait(TimeSpan.FromMinutes(1)), "serve printed no address");
            var url = new Uri(line.Result!);
            Assert.Equal("127.0.0.1", url.Host);
            using var http = new HttpClient { BaseAddress = url };
            Assert.Contains("restora-sr-x2", await http.GetStringAsync("api/models"));
            Assert.Contains("<title>Restora</title>", await http.GetStringAsync(""));
            using var rebound = new HttpRequestMessage(HttpMethod.Get, "api/models");
            rebound.Headers.Host = $"attacker.example:{url.Port}";
            Assert.Equal(HttpStatusCode.Forbidden, (await http.SendAsync(rebound)).StatusCode);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            Directory.Delete(output, true);
        }
    }

    [Fact]
    public void A_host_name_is_refused_with_one_line()
    {
        var result = Cli.Run("serve", "--host", "example.com", "--port", "0", "-o", Path.GetTempPath());
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("restora: serve: --host takes an IP address (127.0.0.1, ::1, 0.0.0.0) or localhost, not 'example.com'", result.Stderr.Trim());
    }
}
