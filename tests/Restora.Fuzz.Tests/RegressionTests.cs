namespace Restora.Fuzz.Tests;

/// <summary>
/// Every input that once crashed, hung or over-allocated a parser (found by scripts/fuzz.sh or the mutation pass),
/// kept in fuzz-regressions/TARGET/ and replayed under the same limits, so a fixed bug stays fixed.
/// </summary>
public sealed class RegressionTests
{
    public static TheoryData<string, string> Inputs()
    {
        var data = new TheoryData<string, string>();
        foreach (var name in FuzzTargets.All.Names)
            foreach (var file in Harness.Files("fuzz-regressions", name))
                data.Add(name, Path.GetFileName(file));
        return data;
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Input_that_once_failed_is_read_or_refused_as_documented(string target, string file)
    {
        var input = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "fuzz-regressions", target, file));
        Assert.Null(Harness.Check(FuzzTargets.All.Get(target), input));
    }

    [Fact]
    public void Every_regression_folder_names_a_target()
    {
        string root = Path.Combine(AppContext.BaseDirectory, "fuzz-regressions");
        var folders = Directory.Exists(root) ? Directory.GetDirectories(root).Select(Path.GetFileName) : [];
        Assert.All(folders, f => Assert.NotNull(FuzzTargets.All.Find(f!)));
    }
}
