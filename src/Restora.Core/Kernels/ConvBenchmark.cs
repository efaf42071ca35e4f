using System.Diagnostics;

namespace Restora.Core.Kernels;

/// <summary>
/// The Restora side of /work/shared/tools/torch-conv-bench.py, measured the same way so the two GFLOP/s figures
/// compare directly: batch 1, "same" padding, median of 9 calls after 3 warm-ups, and a backward step counted as
/// three convolutions (forward, input gradient, weight gradient), like torch's conv(x).sum().backward().
/// The passes are the ones training runs and, with <c>inference</c>, the forward inference runs (Winograd for 3x3 convs
/// where it pays); the GFLOP/s are counted as the direct convolution's, so the figure says how much faster it gets the
/// same result.
/// </summary>
public static class ConvBenchmark
{
    public static (double Gflops, double Seconds) Run(int cin, int cout, int size, int kernel, bool backward, int threads,
        bool inference = false)
    {
        if (inference && backward) throw new ArgumentException("conv benchmark: inference has no backward pass");
        var s = new Conv2dShape(1, cin, size, size, cout, kernel, kernel, PadH: kernel / 2, PadW: kernel / 2);
        s.Validate();
        var rng = new Random(12345);
        float[] Make(long n, double scale) { var a = new float[n]; for (long i = 0; i < n; i++) a[i] = (float)((rng.NextDouble() * 2 - 1) * scale); return a; }
        float[] input = Make(s.InputLength, 1), weight = Make(s.WeightLength, 1.0 / Math.Sqrt(cin * kernel * kernel)), bias = Make(cout, 0.1);
        var output = new float[s.OutputLength];
        var gradInput = new float[s.InputLength];
        var gradWeight = new float[s.WeightLength];
        var gradBias = new float[cout];
        // d(sum(output))/d(output) is all ones, as torch's backward of .sum() produces.
        var gradOutput = new float[s.OutputLength];
        Array.Fill(gradOutput, 1f);

        void Step()
        {
            // The passes training runs (ConvBackend: Winograd where it pays, else the direct kernels).
            if (inference) ConvBackend.ForwardInference(s, input, weight, bias, output, ConvEpilogue.None, default);
            else ConvBackend.Forward(s, input, weight, bias, output);
            if (!backward) return;
            ConvBackend.BackwardInput(s, gradOutput, weight, gradInput);
            ConvBackend.BackwardWeight(s, input, gradOutput, gradWeight, gradBias);
        }

        int saved = Compute.Threads;
        Compute.Threads = threads;
        try
        {
            for (int i = 0; i < 3; i++) Step();
            var times = new double[9];
            for (int i = 0; i < times.Length; i++)
            {
                long start = Stopwatch.GetTimestamp();
                Step();
                times[i] = Stopwatch.GetElapsedTime(start).TotalSeconds;
            }
            Array.Sort(times);
            double seconds = times[times.Length / 2];
            // torch-conv-bench.py's formula, which counts size × size outputs even for even kernels.
            double flops = 2.0 * cin * cout * kernel * kernel * size * size * (backward ? 3 : 1);
            return (flops / seconds / 1e9, seconds);
        }
        finally { Compute.Threads = saved; }
    }
}
