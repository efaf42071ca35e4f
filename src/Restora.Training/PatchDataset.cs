using System.Collections.Concurrent;
using Restora.Imaging;

namespace Restora.Training;

/// <summary>A batch as plain NCHW arrays (not pooled tensors: it is made on another thread than it is used).</summary>
public sealed class PatchBatch
{
    public PatchBatch(int iteration, int batch, int channels, int inputSize, int targetSize, int? targetChannels = null)
    {
        Iteration = iteration;
        int tc = targetChannels ?? channels;
        InputShape = [batch, channels, inputSize, inputSize];
        TargetShape = [batch, tc, targetSize, targetSize];
        Input = new float[batch * channels * inputSize * inputSize];
        Target = new float[batch * tc * targetSize * targetSize];
        NoiseLevels = new float[batch];
    }

    public int Iteration { get; internal set; }
    public int[] InputShape { get; }
    public int[] TargetShape { get; }
    public float[] Input { get; }
    public float[] Target { get; }
    /// <summary>Per sample, sigma/255 of the noise added (0 where none), for noise-level-map networks.</summary>
    public float[] NoiseLevels { get; }
}

/// <summary>
/// An endless stream of training batches. Sample i of iteration t draws from stream t·batch + i of the seed, so
/// the batches depend only on (seed, iteration), never on timing: a run resumed at iteration t sees exactly the
/// batches the uninterrupted run would. A background thread prepares up to <c>prefetch</c> batches ahead
/// through a bounded queue; used batches come back through <see cref="Recycle"/> so their arrays are reused.
/// </summary>
public sealed class PatchDataset : IDisposable
{
    readonly PatchSampler sampler;
    readonly ulong seed;
    readonly int batchSize;
    readonly BlockingCollection<PatchBatch> ready;
    readonly ConcurrentBag<PatchBatch> free = [];
    readonly CancellationTokenSource stop = new();
    readonly Thread worker;
    Exception? failure;

    public PatchDataset(PatchSampler sampler, int batchSize, ulong seed, int startIteration, int prefetch = 4)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), $"batch size must be at least 1, got {batchSize}");
        this.sampler = sampler;
        this.batchSize = batchSize;
        this.seed = seed;
        ready = new BlockingCollection<PatchBatch>(Math.Max(1, prefetch));
        worker = new Thread(() => Produce(startIteration)) { IsBackground = true, Name = "restora-patches" };
        worker.Start();
    }

    public int BatchSize => batchSize;

    /// <summary>Fills a batch for <paramref name="iteration"/> on the calling thread (the worker uses this too).</summary>
    public static void Fill(PatchSampler sampler, PatchBatch batch, int iteration, ulong seed)
    {
        batch.Iteration = iteration;
        int n = batch.InputShape[0];
        int inLen = batch.Input.Length / n, tLen = batch.Target.Length / n;
        for (int i = 0; i < n; i++)
        {
            var rng = SeededRandom.ForStream(seed, (ulong)iteration * (ulong)n + (ulong)i);
            var pair = sampler.Sample(rng);
            pair.Input.Data.AsSpan(0, inLen).CopyTo(batch.Input.AsSpan(i * inLen, inLen));
            pair.Target.Data.AsSpan(0, tLen).CopyTo(batch.Target.AsSpan(i * tLen, tLen));
            batch.NoiseLevels[i] = pair.NoiseLevel;
        }
    }

    void Produce(int iteration)
    {
        try
        {
            for (; !stop.IsCancellationRequested; iteration++)
            {
                if (!free.TryTake(out var batch))
                    batch = new PatchBatch(iteration, batchSize, sampler.InputChannels, sampler.InputSize, sampler.PatchSize, sampler.Channels);
                Fill(sampler, batch, iteration, seed);
                ready.Add(batch, stop.Token);
            }
        }
        catch (OperationCanceledException) { }
        catch (Exception e)
        {
            failure = e;
            ready.CompleteAdding();
        }
    }

    /// <summary>The next batch in iteration order; rethrows a failure of the worker (e.g. a JPEG error).</summary>
    public PatchBatch Next()
    {
        if (ready.TryTake(out var batch, Timeout.Infinite)) return batch;
        throw new InvalidOperationException($"making training patches failed: {failure?.Message}", failure);
    }

    public void Recycle(PatchBatch batch) => free.Add(batch);

    public void Dispose()
    {
        stop.Cancel();
        worker.Join();
        ready.Dispose();
        stop.Dispose();
    }
}
