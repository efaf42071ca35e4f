namespace Restora.Cli.Tests;

/// <summary>
/// The networks in models/, through the command line: each reaches the figure the README gives for it (within the
/// float rounding a different vector width could cause) and the target its issue set, on the test sets it was
/// never trained on.
/// </summary>
public class ShippedModelTests
{
    static string Data(string set) => Path.Combine(CliRunner.SharedFolder, "datasets", set);

    static (double Psnr, double Input) Eval(params string[] args)
    {
        var r = CliRunner.Run(["eval", "--json", .. args]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        return (r.Json.GetProperty("psnr").GetDouble(), r.Json.GetProperty("input_psnr").GetDouble());
    }

    [Fact]
    public void Every_model_in_the_repository_is_listed_with_its_task()
    {
        var r = CliRunner.Run("models", "list", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var listed = r.Json.GetProperty("shipped").EnumerateArray()
            .ToDictionary(m => m.GetProperty("name").GetString()!, m => m.GetProperty("task").GetString()!);
        Assert.Equal("deblur", listed["restora-deblur"]);
        foreach (var (name, task) in new[] { ("restora-denoise", "denoise"), ("restora-deblock", "deblock"), ("restora-sr-x2", "sr"), ("restora-sr-x4", "sr") })
            if (listed.ContainsKey(name)) Assert.Equal(task, listed[name]);
    }

    [Fact]
    public void Deblur_gains_more_than_2_dB_on_CBSD68_blurred_with_sigma_2()
    {
        var (psnr, input) = Eval("--data", Data("CBSD68"), "--task", "deblur", "--blur", "2", "--method", "restora-deblur");
        Assert.InRange(psnr, 27.9810 - 0.01, 27.9810 + 0.01);
        Assert.True(psnr - input >= 2, $"gain {psnr - input:0.00} dB");
    }
}
