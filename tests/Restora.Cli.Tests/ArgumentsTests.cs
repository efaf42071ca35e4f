using Restora.Cli.Commands;

namespace Restora.Cli.Tests;

public class ArgumentsTests
{
    static Arguments Parse(CliCommand command, params string[] args) => CommandLineParser.ParseArguments(command, args);

    [Fact]
    public void Options_take_values_in_both_spellings_and_flags_take_none()
    {
        var a = Parse(new ResizeCommand(), "in.png", "--scale", "2", "--method=nearest", "--json", "--output", "out.png");
        Assert.Equal(["in.png"], a.Positionals);
        Assert.Equal(2.0, a.GetDouble("--scale", 0));
        Assert.Equal("nearest", a.Get("--method"));
        Assert.Equal("out.png", a.Get("-o"));
        Assert.True(a.Has("--json"));
        Assert.False(a.Has("--overwrite"));
    }

    [Fact]
    public void Negative_numbers_are_values_not_options()
    {
        var a = Parse(new ResizeCommand(), "in.png", "--scale", "-1");
        Assert.Equal("-1", a.Get("--scale"));
        Assert.Throws<UserError>(() => a.GetDouble("--scale", 0, 0.001));
    }

    [Theory]
    [InlineData("--bogus")]
    [InlineData("--scale")]
    [InlineData("--json=1")]
    public void Unknown_options_missing_values_and_valued_flags_are_user_errors_naming_the_command(string arg)
    {
        var e = Assert.Throws<UserError>(() => Parse(new ResizeCommand(), "in.png", arg));
        Assert.StartsWith("resize: ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("1.5")]
    [InlineData("99")]
    public void Bad_whole_numbers_name_the_option(string value)
    {
        var a = Parse(new ResizeCommand(), "in.png", "--width", value);
        var e = Assert.Throws<UserError>(() => a.GetInt("--width", 4, 2, 16));
        Assert.Contains("--width", e.Message);
    }

    [Fact]
    public void Missing_positionals_are_named()
    {
        var e = Assert.Throws<UserError>(() => Parse(new MetricsCommand()));
        Assert.Contains("REF", e.Message);
    }

    [Fact]
    public void The_raw_arguments_are_kept_for_the_recipe()
    {
        var a = Parse(new ResizeCommand(), "in.png", "-o", "x.png", "--scale", "0.5");
        Assert.Equal(["in.png", "-o", "x.png", "--scale", "0.5"], a.Raw);
    }
}
