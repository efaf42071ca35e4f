using Restora.Models;

namespace Restora.Training.Tests;

public class PatchDatasetTests
{
    static PatchSampler Sampler() => new(TestData.Images(3, 48),
        DegradationSpec.For(RestorationTask.Denoise, ("sigma", "5,50")), 16, false);

    [Fact]
    public void BatchesDependOnlyOnSeedAndIterationSoAResumedStreamMatches()
    {
        var sampler = Sampler();
        var fromStart = new List<PatchBatch>();
        using (var data = new PatchDataset(sampler, 4, seed: 7, startIteration: 0, prefetch: 2))
            for (int i = 0; i < 6; i++) fromStart.Add(data.Next());
        using var resumed = new PatchDataset(sampler, 4, seed: 7, startIteration: 4, prefetch: 2);
        var b4 = resumed.Next();
        var b5 = resumed.Next();
        Assert.Equal(4, b4.Iteration);
        Assert.Equal(fromStart[4].Input, b4.Input);
        Assert.Equal(fromStart[4].Target, b4.Target);
        Assert.Equal(fromStart[4].NoiseLevels, b4.NoiseLevels);
        Assert.Equal(fromStart[5].Input, b5.Input);
        Assert.NotEqual(fromStart[4].Input, fromStart[5].Input);
    }

    [Fact]
    public void RecycledBatchesAreRefilledWithFreshData()
    {
        using var data = new PatchDataset(Sampler(), 2, seed: 1, startIteration: 0, prefetch: 1);
        var first = data.Next();
        var copy = first.Input.ToArray();
        data.Recycle(first);
        PatchBatch? again = null;
        for (int i = 0; i < 4 && again is null; i++)
        {
            var b = data.Next();
            if (ReferenceEquals(b, first)) again = b;
        }
        Assert.NotNull(again);
        Assert.NotEqual(copy, again!.Input);
    }

    [Fact]
    public void BatchShapesFollowTheSampler()
    {
        var sampler = new PatchSampler(TestData.Images(2, 64), DegradationSpec.For(RestorationTask.SuperResolution, ("scale", "4")), 32, false);
        using var data = new PatchDataset(sampler, 3, 0, 0);
        var b = data.Next();
        Assert.Equal(new[] { 3, 3, 8, 8 }, b.InputShape);
        Assert.Equal(new[] { 3, 3, 32, 32 }, b.TargetShape);
    }
}
