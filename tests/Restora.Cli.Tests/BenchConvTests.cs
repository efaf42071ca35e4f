namespace Restora.Cli.Tests;

public class BenchConvTests
{
    [Fact]
    public void Bench_conv_times_the_inference_forward_as_the_direct_convolution_counts_it()
    {
        var r = CliRunner.Run("bench", "conv", "--cin", "16", "--cout", "16", "--size", "48", "--inference", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        double seconds = r.Json.GetProperty("seconds").GetDouble(), gflops = r.Json.GetProperty("gflops").GetDouble();
        Assert.True(seconds > 0);
        double flop = 2.0 * 16 * 16 * 9 * 48 * 48;
        Assert.InRange(gflops, 0.95 * flop / seconds / 1e9, 1.05 * flop / seconds / 1e9);
    }

    [Fact]
    public void Bench_conv_refuses_a_backward_pass_in_inference()
    {
        var r = CliRunner.Run("bench", "conv", "--inference", "--backward");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("--inference", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
    }
}
