using BenchmarkDotNet.Attributes;
using Restora.Core;
using Restora.Core.Kernels;

namespace Restora.Benchmarks;

/// <summary>
/// Conv2d passes on the restoration workhorse shapes (3x3 "same", batch 1). The GFLOP/s figure is
/// Conv2dShape.Flops / mean time; compare with torch-conv-bench.py via `dotnet run -c Release -- conv ...`.
/// </summary>
[MemoryDiagnoser]
public class ConvBenchmarks
{
    [Params(32, 64)] public int Channels;
    [Params(256)] public int Size;
    [Params(3)] public int Kernel;
    [Params(2)] public int Threads;

    Conv2dShape shape;
    float[] input = [], weight = [], bias = [], output = [], gradOutput = [], gradInput = [], gradWeight = [], gradBias = [];

    [GlobalSetup]
    public void Setup()
    {
        Compute.Threads = Threads;
        shape = new Conv2dShape(1, Channels, Size, Size, Channels, Kernel, Kernel, PadH: Kernel / 2, PadW: Kernel / 2);
        var rng = new Random(1);
        float[] Make(long n) { var a = new float[n]; for (long i = 0; i < n; i++) a[i] = (float)(rng.NextDouble() - 0.5); return a; }
        input = Make(shape.InputLength);
        weight = Make(shape.WeightLength);
        bias = Make(shape.OutChannels);
        gradOutput = Make(shape.OutputLength);
        output = new float[shape.OutputLength];
        gradInput = new float[shape.InputLength];
        gradWeight = new float[shape.WeightLength];
        gradBias = new float[shape.OutChannels];
    }

    [Benchmark] public void Forward() => Conv2d.Forward(shape, input, weight, bias, output);
    /// <summary>The forward pass inference runs: Winograd F(4x4, 3x3) for these shapes.</summary>
    [Benchmark] public void WinogradForward() => Winograd.Forward(shape, input, weight, bias, output);
    [Benchmark] public void BackwardInput() => Conv2d.BackwardInput(shape, gradOutput, weight, gradInput);
    [Benchmark] public void BackwardWeight() => Conv2d.BackwardWeight(shape, input, gradOutput, gradWeight, gradBias);

    [Benchmark]
    public void ForwardAndBackward()
    {
        Conv2d.Forward(shape, input, weight, bias, output);
        Conv2d.BackwardInput(shape, gradOutput, weight, gradInput);
        Conv2d.BackwardWeight(shape, input, gradOutput, gradWeight, gradBias);
    }
}
