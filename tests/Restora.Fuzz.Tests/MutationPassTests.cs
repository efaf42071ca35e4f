namespace Restora.Fuzz.Tests;

/// <summary>
/// The short, AFL-free fuzzing pass of every test run: each target's seeds (fuzz/seeds) mutated deterministically and
/// fed to the parser in process. Any exception other than the documented ones, a hang or a runaway allocation fails,
/// and the input is saved beside the test output to become a regression file. scripts/fuzz.sh is the long,
/// coverage-guided run.
/// </summary>
public sealed class MutationPassTests
{
    /// <summary>Mutants per target, scaled to each parser's speed so the whole pass takes about a minute.</summary>
    static int Mutants(string target) => target switch
    {
        "heif" => 1500,
        "keras" => 800,
        "ncnn-run" => 4000,
        "icc" or "pytorch" or "webp" => 1500,
        "xmp" => 2000,
        "png" or "jpeg" or "tiff" or "bmp" => 4000,
        _ => 8000,
    };

    public static TheoryData<string> Targets => new(FuzzTargets.All.Names);

    [Theory]
    [MemberData(nameof(Targets))]
    public void Mutated_seeds_are_read_or_refused_as_documented(string name)
    {
        var target = FuzzTargets.All.Get(name);
        var seeds = Harness.Files("seeds", name).Select(File.ReadAllBytes).ToList();
        Assert.NotEmpty(seeds);
        // The same mutants on every run and machine: the number comes from the name, not from the clock.
        var mutator = new Mutator(seeds, name.Aggregate(17, (h, c) => h * 31 + c));
        var failures = new List<string>();
        for (int i = 0; i < Mutants(name) && failures.Count < 5; i++)
        {
            var input = mutator.Next();
            if (Harness.Check(target, input) is not { } problem) continue;
            string saved = Path.Combine(AppContext.BaseDirectory, "fuzz-failures", name, $"mutant-{i:D5}");
            Directory.CreateDirectory(Path.GetDirectoryName(saved)!);
            File.WriteAllBytes(saved, input);
            failures.Add($"mutant {i}: {problem} (input saved as {saved}; once fixed, add it to tests/Restora.Fuzz.Tests/fuzz-regressions/{name}/)");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void Each_target_has_a_seed_it_reads_whole(string name)
    {
        // A corpus whose every file is refused would only fuzz the first check of the header.
        var target = FuzzTargets.All.Get(name);
        Assert.Contains(Harness.Files("seeds", name), file =>
        {
            try { target.Run(File.ReadAllBytes(file)); return true; }
            catch (Exception e) when (target.Expects(e)) { return false; }
        });
    }
}
