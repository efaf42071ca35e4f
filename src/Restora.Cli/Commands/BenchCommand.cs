using System.Diagnostics;
using Restora.Imaging;
using Restora.Metrics;

namespace Restora.Cli.Commands;

/// <summary>
/// restora bench conv|ssim|resize: quick speed figures for the kernels users wait on, comparable side by side
/// with ../shared/tools/torch-conv-bench.py. (BenchmarkDotNet's careful versions live under bench/.)
/// </summary>
public static class BenchCommand
{
    public static int Run(string[] argv)
    {
        if (argv.Length == 0) throw new UserError("bench: name what to measure: conv, ssim or resize");
        string what = argv[0];
        if (what == "conv") return Conv(argv[1..]);
        if (what == "model") return Model(argv[1..]);
        var args = Arguments.Parse($"bench {what}", argv[1..], ["--size", "--repeat"], []);
        var common = CommonOptions.From(args);
        args.ExpectPositionals();
        int size = args.GetInt("--size", 2048, 16, 16384);
        int repeat = args.GetInt("--repeat", 5, 1, 1000);
        var image = Noise(size, size);
        (double seconds, double megapixels) = what switch
        {
            "ssim" => Measure(repeat, () => FullReference.Ssim(image, Perturbed(image)), size),
            "resize" => Measure(repeat, () => Resize.ByFactor(image, 0.5), size),
            _ => throw new UserError($"bench: unknown benchmark '{what}' (use conv, ssim or resize)"),
        };
        if (common.Json)
            Json.Write(w =>
            {
                w.WriteString("benchmark", what);
                w.WriteNumber("size", size);
                w.WriteNumber("seconds", Math.Round(seconds, 6));
                w.WriteNumber("megapixels_per_second", Math.Round(megapixels / seconds, 2));
            });
        else
            Console.WriteLine($"{what} on {size}x{size} RGB: {seconds * 1000:0.0} ms median of {repeat} ({megapixels / seconds:0.0} MP/s, {Restora.Core.Compute.Threads} threads)");
        return 0;
    }

    /// <summary>restora bench conv [--cin C] [--cout C] [--size PX] [--kernel K] [--backward | --inference] [--threads N] [--json]</summary>
    static int Conv(string[] argv)
    {
        var args = Arguments.Parse("bench conv", argv, ["--cin", "--cout", "--size", "--kernel"], ["--backward", "--inference"]);
        var common = CommonOptions.From(args);
        args.ExpectPositionals();
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

    /// <summary>restora bench model NAME [--size PX] [--repeat N] [--json]: one forward pass on a size x size input.</summary>
    static int Model(string[] argv)
    {
        var args = Arguments.Parse("bench model", argv, ["--size", "--repeat"], []);
        var common = CommonOptions.From(args);
        string name = args.ExpectPositionals("NAME")[0];
        int size = args.GetInt("--size", 128, 8, 4096);
        int repeat = args.GetInt("--repeat", 3, 1, 100);
        Restora.Models.Upscaling.ISuperResolutionNetwork net;
        if (Restora.Models.Zoo.ModelCatalog.Find(name) is not null)
            net = ModelsCommand.Guard(() => Restora.Models.Upscaling.PretrainedNetwork.Open(name, log: m => Console.Error.WriteLine($"restora: {m}")));
        else if (Restora.Models.TrainedModels.Locate(name) is { } file)
        {
            // A network Restora trained (shipped by name, or a file): the same forward pass, for side-by-side figures.
            Restora.Models.NetworkRestorer trained;
            try { trained = Restora.Models.TrainedModels.Open(file); }
            catch (InvalidDataException e) { throw new UserError(e.Message); }
            net = trained.AsSuperResolutionNetwork(trained.Metadata?.Scale ?? 1)
                ?? throw new UserError($"bench model: {name} is not an RGB super-resolution network");
        }
        else throw new UserError($"bench model: unknown model '{name}' (see restora models list)");
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
