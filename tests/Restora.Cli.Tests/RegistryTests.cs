using Restora.Cli.Commands;
using Restora.Core;
using Restora.Metrics;
using Restora.Models;

namespace Restora.Cli.Tests;

/// <summary>
/// Every registry entry is described, shown by the help of the commands that take it, listed the same way by
/// `restora list --json`, and named in the README: the lists cannot drift from the code.
/// </summary>
public class RegistryTests
{
    /// <summary>Where each kind of entry must appear in help: the commands whose --help lists it.</summary>
    static readonly Dictionary<string, string[][]> HelpOf = new()
    {
        ["commands"] = [[]],
        ["tasks"] = [["eval"], ["train"]],
        ["metrics"] = [["metrics"], ["eval"]],
        ["losses"] = [["train"]],
        ["architectures"] = [["train"]],
        ["gan-losses"] = [["train"]],
        ["discriminators"] = [["train"]],
    };

    public static TheoryData<string> Kinds() => [.. ListCommand.Registries.Select(r => r.Kind)];

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Every_entry_has_a_description_appears_in_help_and_round_trips_through_list_json(string kind)
    {
        var entries = ListCommand.Registries.Single(r => r.Kind == kind).Entries().ToList();
        Assert.NotEmpty(entries);
        var listed = CliRunner.Run("list", kind, "--json");
        Assert.Equal(0, listed.ExitCode);
        var json = listed.Json.GetProperty(kind).EnumerateArray().ToList();
        Assert.Equal(entries.Count, json.Count);
        var helps = HelpOf[kind].Select(command => CliRunner.Run([.. command, "--help"])).ToList();
        for (int i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            Assert.False(string.IsNullOrWhiteSpace(e.Description), $"{kind} {e.Name} has no description");
            Assert.Equal(e.Name, json[i].GetProperty("name").GetString());
            Assert.Equal(e.Description, json[i].GetProperty("description").GetString());
            foreach (var help in helps)
            {
                Assert.Equal(0, help.ExitCode);
                Assert.Contains(e.Name, help.Stdout);
            }
        }
    }

    [Fact]
    public void Every_command_and_subcommand_answers_help_with_its_own_options()
    {
        foreach (var (path, command) in AllCommands())
        {
            var r = CliRunner.Run([.. path, "--help"]);
            Assert.True(r.ExitCode == 0, $"restora {string.Join(' ', path)} --help: {r.Stderr}");
            Assert.Contains(command.Description, r.Stdout);
            foreach (var option in command.AllOptions) Assert.Contains(option.Name, r.Stdout);
            foreach (var sub in command.Subcommands) Assert.Contains(sub.Name, r.Stdout);
        }
    }

    [Fact]
    public void The_readme_names_every_command_task_metric_loss_and_architecture()
    {
        string readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md"));
        foreach (var (kind, entries) in ListCommand.Registries)
            foreach (var e in entries())
                Assert.True(readme.Contains($"`{e.Name}`"), $"README.md does not name the {kind} entry `{e.Name}`");
    }

    [Fact]
    public void Unknown_names_are_refused_with_the_known_ones()
    {
        var r = CliRunner.Run("eval", "--data", ".", "--task", "frobnicate");
        Assert.Equal(1, r.ExitCode);
        foreach (var t in TaskRegistry.Tasks.Names) Assert.Contains(t, r.Stderr);
        var m = CliRunner.Run("metrics", "a.png", "b.png", "--metrics", "lpips");
        Assert.Equal(1, m.ExitCode);
        foreach (var name in MetricRegistry.Metrics.Names) Assert.Contains(name, m.Stderr);
        var c = CliRunner.Run("frobnicate");
        Assert.Equal(1, c.ExitCode);
        foreach (var name in Program.Commands.Names) Assert.Contains(name, c.Stderr);
    }

    [Fact]
    public void A_registry_refuses_a_name_twice_and_an_entry_without_description()
    {
        Assert.Throws<InvalidOperationException>(() => new Registry<LossInfoStub>("x", [new("a", "one"), new("A", "two")]));
        Assert.Throws<InvalidOperationException>(() => new Registry<LossInfoStub>("x", [new("a", " ")]));
    }

    sealed record LossInfoStub(string Name, string Description) : IRegistered;

    static IEnumerable<(string[] Path, CliCommand Command)> AllCommands()
    {
        foreach (var c in Program.Commands.All)
        {
            yield return ([c.Name], c);
            foreach (var s in c.Subcommands) yield return ([c.Name, s.Name], s);
        }
    }

    static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Restora.slnx"))) return dir.FullName;
        throw new DirectoryNotFoundException("no repository root above " + AppContext.BaseDirectory);
    }
}
