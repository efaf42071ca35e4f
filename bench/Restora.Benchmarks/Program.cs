using System.Diagnostics;
using BenchmarkDotNet.Running;
using Restora.Core;
using Restora.Core.Kernels;

// `conv CIN COUT SIZE [KERNEL] [--backward | --inference] [--threads N] [--batch N]` prints the same JSON as torch-conv-bench.py, so the two
// can run back to back in one shell line; `--passes` instead times forward, input and weight gradient separately
// (median of 9 after 3 warm-ups each). Anything else goes to BenchmarkDotNet.
if (args.Length >= 4 && args[0] == "conv")
{
    var numbers = args.Skip(1).TakeWhile(a => !a.StartsWith("--")).Select(int.Parse).ToArray();
    int threads = Array.IndexOf(args, "--threads") is var t and >= 0 ? int.Parse(args[t + 1]) : 2;
    int kernel = numbers.Length > 3 ? numbers[3] : 3;
    // Training convs run on batches of small patches, whose costs differ from one large image's.
    int batch = Array.IndexOf(args, "--batch") is var nb and >= 0 ? int.Parse(args[nb + 1]) : 1;
    if (args.Contains("--passes"))
    {
        PrintPasses(numbers[0], numbers[1], numbers[2], kernel, threads, batch);
        return;
    }
    var (gflops, seconds) = ConvBenchmark.Run(numbers[0], numbers[1], numbers[2], kernel, args.Contains("--backward"), threads,
        inference: args.Contains("--inference"));
    Console.WriteLine($"{{\"gflops\": {gflops:F1}, \"seconds\": {seconds:F5}}}");
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);

static void PrintPasses(int cin, int cout, int size, int kernel, int threads, int batch)
{
    var s = new Conv2dShape(batch, cin, size, size, cout, kernel, kernel, PadH: kernel / 2, PadW: kernel / 2);
    var rng = new Random(1);
    float[] Make(long n) { var a = new float[n]; for (long i = 0; i < n; i++) a[i] = (float)(rng.NextDouble() - 0.5); return a; }
    float[] x = Make(s.InputLength), w = Make(s.WeightLength), b = Make(cout), gy = Make(s.OutputLength);
    float[] y = new float[s.OutputLength], gx = new float[s.InputLength], gw = new float[s.WeightLength], gb = new float[cout];
    Compute.Threads = threads;
    double Gflops(Action pass)
    {
        for (int i = 0; i < 3; i++) pass();
        var times = new double[9];
        for (int i = 0; i < times.Length; i++)
        {
            long start = Stopwatch.GetTimestamp();
            pass();
            times[i] = Stopwatch.GetElapsedTime(start).TotalSeconds;
        }
        Array.Sort(times);
        return s.Flops / times[times.Length / 2] / 1e9;
    }
    Console.WriteLine($"{{\"forward\": {Gflops(() => Conv2d.Forward(s, x, w, b, y)):F1}, " +
        $"\"input_grad\": {Gflops(() => Conv2d.BackwardInput(s, gy, w, gx)):F1}, " +
        $"\"weight_grad\": {Gflops(() => Conv2d.BackwardWeight(s, x, gy, gw, gb)):F1}}}");
}
