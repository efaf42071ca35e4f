using System.Diagnostics;
using System.Text.Json;

namespace Restora.Cli.Tests;

public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public JsonElement Json => JsonDocument.Parse(Stdout).RootElement;
}

/// <summary>
/// Runs the built `restora` in its own process, as a user would, so exit codes, stdout and stderr are the real
/// ones. (The test project references the CLI, so restora.dll sits beside the tests.)
/// </summary>
public static class CliRunner
{
    public static CliResult Run(params string[] args)
    {
        using var p = Start(args);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5))) { p.Kill(true); throw new TimeoutException($"restora {string.Join(' ', args)} hung"); }
        return new CliResult(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Starts the command without waiting, for tests that interrupt it; the caller reads or drains its output.</summary>
    public static Process Start(params string[] args) => Start(null, args);

    /// <summary>Runs the command with <paramref name="environment"/> set (a null value removes the variable).</summary>
    public static CliResult RunWith(IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        using var p = Start(environment, args);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5))) { p.Kill(true); throw new TimeoutException($"restora {string.Join(' ', args)} hung"); }
        return new CliResult(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Starts the command with <paramref name="environment"/> set (a null value removes the variable).</summary>
    public static Process Start(IReadOnlyDictionary<string, string?>? environment, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
            if (value is null) psi.Environment.Remove(name); else psi.Environment[name] = value;
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "restora.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        return Process.Start(psi)!;
    }

    /// <summary>Kills <paramref name="process"/> (a folder run) once <paramref name="started"/> holds, or when it ends or
    /// two minutes pass; drains its output so it never blocks on a full pipe.</summary>
    public static void KillWhen(Process process, Func<bool> started)
    {
        var drain = Task.WhenAll(process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());
        var clock = Stopwatch.StartNew();
        while (!started() && !process.HasExited && clock.Elapsed < TimeSpan.FromMinutes(2))
            Thread.Sleep(10);
        process.Kill(entireProcessTree: true);
        process.WaitForExit();
        drain.Wait();
    }

    /// <summary>../shared beside the repository, where the test datasets live (CI clones the repo beside it).</summary>
    public static string SharedFolder
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Restora.slnx")))
                {
                    var shared = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared"));
                    if (!Directory.Exists(shared)) throw new DirectoryNotFoundException($"{shared} is missing: the datasets live there");
                    return shared;
                }
            throw new DirectoryNotFoundException("could not find the repository root above " + AppContext.BaseDirectory);
        }
    }
}

/// <summary>A temporary folder per test, removed afterwards.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("restora-test-").FullName;
    public string this[string name] => System.IO.Path.Combine(Path, name);
    public void Dispose() { try { Directory.Delete(Path, true); } catch (IOException) { } }
}
