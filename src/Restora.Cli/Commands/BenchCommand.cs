using System.Diagnostics;
using Restora.Imaging;
using Restora.Metrics;

namespace Restora.Cli.Commands;

/// <summary>
/// restora bench conv|ssim|resize: quick speed figures for the kernels users wait on, comparable side by side
/// with ../shared/tools/torch-conv-bench.py. (BenchmarkDotNet's careful versions live under bench/.)
/// </summary>
public sealed class BenchCommand : CliCommand
{
    /// <inheritdoc/>
    public override string Name => "bench";
    /// <inheritdoc/>
    public override string Description => "quick speed figures for the kernels and models users wait on";
    /// <inheritdoc/>
    public override IReadOnlyList<CliCommand> Subcommands =>
        [new ConvBench(), new ModelBench(), new ImageBench("ssim", "SSIM of two RGB images"), new ImageBench("resize", "MATLAB bicubic halving of an RGB image")];

    /// <summary>bench ssim|resize [--size PX] [--repeat N]: one image operation on a size x size RGB image.</summary>
    sealed class ImageBench(string name, string what) : CliCommand
    {
        public override string Name => name;
        public override string Description => $"time {what}";
        public override IReadOnlyList<OptionSpec> Options =>
            [new("--size", "image side in pixels (default 2048)", "PX"), new("--repeat", "timed runs, the median is reported (default 5)", "N")];

        public override int Run(Arguments args)
        {
            var common = CommonOptions.From(args);
            int size = args.GetInt("--size", 2048, 16, 16384);
            int repeat = args.GetInt("--repeat", 5, 1, 1000);
            var image = Noise(size, size);
            (double seconds, double megapixels) = name == "ssim"
                ? Measure(repeat, () => FullReference.Ssim(image, Perturbed(image)), size)
                : Measure(repeat, () => Resize.ByFactor(image, 0.5), size);
            if (common.Json)
                Json.Write(w =>
                {
                    w.WriteString("benchmark", name);
                    w.WriteNumber("size", size);
                    w.WriteNumber("seconds", Math.Round(seconds, 6));
                    w.WriteNumber("megapixels_per_second", Math.Round(megapixels / seconds, 2));
                });
            else
                Console.WriteLine($"{name} on {size}x{size} RGB: {seconds * 1000:0.0} ms median of {repeat} ({megapixels / seconds:0.0} MP/s, {Restora.Core.Compute.Threads} threads)");
            return 0;
        }
    }

    /// <summary>bench conv [--cin C] [--cout C] [--size PX] [--kernel K] [--backward | --inference]</summary>
    sealed class ConvBench : CliCommand
    {
        public override string Name => "conv";
        public override string Description => "GFLOP/s of one convolution (forward, forward+backward, or inference), beside ../shared/tools/torch-conv-bench.py";
        public override IReadOnlyList<OptionSpec> Options =>
        [
            new("--cin", "input channels (default 64)", "C"),
            new("--cout", "output channels (default 64)", "C"),
            new("--size", "input side in pixels (default 256)", "PX"),
            new("--kernel", "kernel side (default 3)", "K"),
            new("--backward", "time forward and backward (training)"),
            new("--inference", "time the inference forward (Winograd where it applies)"),
        ];

        public override int Run(Arguments args)
        {
            var common = CommonOptions.From(args);
            int cin = args.GetInt("--cin", 64, 1, 4096), cout = args.GetInt("--cout", 64, 1, 4096);
            int size = args.GetInt("--size", 256, 1, 8192), kernel = args.GetInt("--kernel", 3, 1, 31);
            bool backward = args.Has("--backward"), inference = args.Has("--inference");
            if (backward && inference) throw new UserError("bench conv: --backward and --inference exclude each other (inference has no backward pass)");
            var (gflops, seconds) = Restora.Core.Kernels.ConvBenchmark.Run(cin, cout, size, kernel, backward, Restora.Core.Compute.Threads, inference);
            if (common.Json)
                Json.Write(w =>
                {
                    w.WriteNumber("gflops", Math.Round(gflops, 2));
                    w.WriteNumber("seconds", Math.Round(seconds, 6));
                });
            else
                Console.WriteLine($"conv {cin}->{cout} {kernel}x{kernel} on {size}x{size}{(backward ? " forward+backward" : inference ? " inference" : "")}: " +
                                  $"{gflops:0.0} GFLOP/s, {seconds * 1000:0.00} ms median ({Restora.Core.Compute.Threads} threads)");
            return 0;
        }
    }

    /// <summary>bench model NAME [--size PX] [--repeat N]: one forward pass on a size x size input.</summary>
    sealed class ModelBench : CliCommand
    {
        public override string Name => "model";
        public override string Description => "seconds and GFLOP/s of one forward pass of a super-resolution model";
        public override IReadOnlyList<PositionalSpec> Positionals => [new("NAME", "a model from restora models list, or a .safetensors file")];
        public override IReadOnlyList<OptionSpec> Options =>
            [new("--size", "input side in pixels (default 128)", "PX"), new("--repeat", "timed runs, the median is reported (default 3)", "N")];

        public override int Run(Arguments args)
        {
            var common = CommonOptions.From(args);
            string name = args.Positionals[0];
            int size = args.GetInt("--size", 128, 8, 4096);
            int repeat = args.GetInt("--repeat", 3, 1, 100);
            var model = ModelOpener.Guard("bench model", () => Restora.Models.ModelLoader.Open(name, log: ModelOpener.Log));
            var net = model.Network ?? throw new UserError($"bench model: {name} has no network of its own to time (restora models list)");
            var rng = new SeededRandom(3);
            using var input = Restora.Core.Tensor.Empty(1, 3, size, size);
            var span = input.Span;
            for (int i = 0; i < span.Length; i++) span[i] = (float)(rng.NextDouble() * net.InputRange);
            var (seconds, _) = Measure(repeat, () => net.Forward(input).Dispose(), size);
            double gflop = net.Flops(size, size) / 1e9;
            bool counted = double.IsFinite(gflop);
            if (common.Json)
                Json.Write(w =>
                {
                    w.WriteString("model", name);
                    w.WriteNumber("size", size);
                    w.WriteNumber("seconds", Math.Round(seconds, 6));
                    if (counted)
                    {
                        w.WriteNumber("gflop", Math.Round(gflop, 4));
                        w.WriteNumber("gflops", Math.Round(gflop / seconds, 1));
                    }
                });
            else
                Console.WriteLine($"{name} on {size}x{size}: {seconds:0.000} s median of {repeat}" +
                                  (counted ? $", {gflop:0.0} GFLOP, {gflop / seconds:0.0} GFLOP/s" : "") + $" ({Restora.Core.Compute.Threads} threads)");
            return 0;
        }
    }

    static (double, double) Measure(int repeat, Action action, int size)
    {
        action(); // warm-up: JIT and tiered compilation
        var times = new double[repeat];
        for (int i = 0; i < repeat; i++)
        {
            var clock = Stopwatch.StartNew();
            action();
            times[i] = clock.Elapsed.TotalSeconds;
        }
        Array.Sort(times);
        return (times[repeat / 2], (double)size * size / 1e6);
    }

    static Image Noise(int w, int h)
    {
        var image = new Image(w, h, PixelLayout.Rgb);
        var rng = new SeededRandom(1);
        for (int i = 0; i < image.Data.Length; i++) image.Data[i] = (float)rng.NextDouble();
        return image;
    }

    static Image? perturbed;

    static Image Perturbed(Image image) => perturbed ??= Degrade.AddGaussianNoise(image, 10, 2);
}
