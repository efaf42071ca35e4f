using System.Text.RegularExpressions;

namespace Restora.Cli.Tests;

/// <summary>The Dockerfile installs exactly what scripts/common.sh installs, so the image and ./restora cannot drift apart.</summary>
public class DockerfileTests
{
    [Fact]
    public void The_Dockerfile_installs_the_packages_common_sh_installs()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(dir.FullName, "Restora.slnx"))) dir = dir.Parent ?? throw new DirectoryNotFoundException("no Restora.slnx above the tests");
        string repo = dir.FullName;
        string common = File.ReadAllText(Path.Combine(repo, "scripts", "common.sh"));
        var fromScript = Regex.Matches(common, "\"[^\"\\s]+\\.so[^\"\\s]*:([a-z0-9.+-]+)\"").Select(m => m.Groups[1].Value).ToHashSet();
        Assert.Contains("libturbojpeg0", fromScript);
        // Programs (ffmpeg) are listed as "program:package" in RESTORA_PROGRAMS.
        var programs = Regex.Match(common, @"RESTORA_PROGRAMS=\((?<list>[^)]*)\)");
        Assert.True(programs.Success, "common.sh has no RESTORA_PROGRAMS list");
        fromScript.UnionWith(Regex.Matches(programs.Groups["list"].Value, "\"[^\"\\s:]+:([a-z0-9.+-]+)\"").Select(m => m.Groups[1].Value));
        Assert.Contains("ffmpeg", fromScript);
        fromScript.Add("npm"); // common.sh adds it when npm is missing: catalog models are npm packages

        string dockerfile = File.ReadAllText(Path.Combine(repo, "Dockerfile"));
        var install = Regex.Match(dockerfile, @"apt-get install (?<args>[^\n&]+)");
        Assert.True(install.Success, "the Dockerfile has no apt-get install line");
        var fromDocker = install.Groups["args"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(a => !a.StartsWith('-') && a != "\\").ToHashSet(); // options and the line continuation are not packages
        Assert.Equal(fromScript.Order(), fromDocker.Order());
    }
}
