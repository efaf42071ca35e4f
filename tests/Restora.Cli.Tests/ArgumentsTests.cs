namespace Restora.Cli.Tests;

public class ArgumentsTests
{
    [Fact]
    public void Options_take_values_in_both_spellings_and_flags_take_none()
    {
        var a = Arguments.Parse("x", ["in.png", "--scale", "2", "--method=nearest", "--json", "-o", "out.png"], ["--scale", "--method", "-o"], []);
        Assert.Equal(["in.png"], a.Positionals);
        Assert.Equal(2.0, a.GetDouble("--scale", 0));
        Assert.Equal("nearest", a.Get("--method"));
        Assert.Equal("out.png", a.Get("-o"));
        Assert.True(a.Has("--json"));
    }

    [Fact]
    public void Negative_numbers_are_values_not_options()
    {
        var a = Arguments.Parse("x", ["--scale", "-1"], ["--scale"], []);
        Assert.Throws<UserError>(() => a.GetDouble("--scale", 0, 0.001));
    }

    [Theory]
    [InlineData("--bogus")]
    [InlineData("--scale")]
    [InlineData("--json=1")]
    public void Unknown_options_missing_values_and_valued_flags_are_user_errors(string arg)
    {
        var e = Assert.Throws<UserError>(() => Arguments.Parse("resize", [arg], ["--scale"], []));
        Assert.StartsWith("resize: ", e.Message);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("1.5")]
    [InlineData("99")]
    public void Bad_whole_numbers_name_the_option(string value)
    {
        var a = Arguments.Parse("eval", ["--scale", value], ["--scale"], []);
        var e = Assert.Throws<UserError>(() => a.GetInt("--scale", 4, 2, 16));
        Assert.Contains("--scale", e.Message);
    }

    [Fact]
    public void Missing_positionals_are_named()
    {
        var a = Arguments.Parse("metrics", ["only.png"], [], []);
        var e = Assert.Throws<UserError>(() => a.ExpectPositionals("REF", "TEST"));
        Assert.Contains("REF TEST", e.Message);
    }

    [Fact]
    public void Progress_line_shows_count_bar_and_eta()
    {
        string line = Progress.Format(5, 10, TimeSpan.FromSeconds(10), "eval", "x.png");
        Assert.Contains("5/10", line);
        Assert.Contains("ETA 00:10", line);
        Assert.Contains("[############............]", line);
    }
}
