using BenchmarkDotNet.Running;
using Restora.Core.Kernels;

// `conv CIN COUT SIZE [KERNEL] [--backward] [--threads N]` prints the same JSON as torch-conv-bench.py, so the two
// can run back to back in one shell line; anything else goes to BenchmarkDotNet.
if (args.Length >= 4 && args[0] == "conv")
{
    var numbers = args.Skip(1).TakeWhile(a => !a.StartsWith("--")).Select(int.Parse).ToArray();
    int threads = Array.IndexOf(args, "--threads") is var t and >= 0 ? int.Parse(args[t + 1]) : 2;
    var (gflops, seconds) = ConvBenchmark.Run(numbers[0], numbers[1], numbers[2], numbers.Length > 3 ? numbers[3] : 3,
        args.Contains("--backward"), threads);
    Console.WriteLine($"{{\"gflops\": {gflops:F1}, \"seconds\": {seconds:F5}}}");
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
