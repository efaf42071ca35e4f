using Restora.Imaging;

namespace Restora.Imaging.Tests;

public class SeededRandomTests
{
    [Fact]
    public void The_sequence_of_a_seed_is_fixed()
    {
        // Pinned values: if these change, every seeded degradation in saved experiments changes too.
        var rng = new SeededRandom(42);
        var first = Enumerable.Range(0, 3).Select(_ => rng.NextUInt64()).ToArray();
        var again = new SeededRandom(42);
        Assert.Equal(first, Enumerable.Range(0, 3).Select(_ => again.NextUInt64()));
        Assert.NotEqual(first, Enumerable.Range(0, 3).Select(_ => new SeededRandom(43).NextUInt64()));
    }

    [Fact]
    public void Uniform_and_gaussian_draws_have_the_right_moments()
    {
        var rng = new SeededRandom(1);
        var u = Enumerable.Range(0, 200_000).Select(_ => rng.NextDouble()).ToArray();
        Assert.InRange(u.Average(), 0.495, 0.505);
        Assert.All(u, x => Assert.InRange(x, 0.0, 1.0));
        var g = Enumerable.Range(0, 200_000).Select(_ => rng.NextGaussian()).ToArray();
        double mean = g.Average(), var = g.Select(x => (x - mean) * (x - mean)).Average();
        Assert.InRange(mean, -0.01, 0.01);
        Assert.InRange(var, 0.98, 1.02);
        var ints = Enumerable.Range(0, 10_000).Select(_ => rng.NextInt(7)).ToArray();
        Assert.All(ints, i => Assert.InRange(i, 0, 6));
        Assert.Equal(7, ints.Distinct().Count());
    }

    [Fact]
    public void Stable_hash_does_not_change_between_processes() =>
        Assert.Equal(0xaf63dc4c8601ec8cUL, SeededRandom.StableHash("a")); // FNV-1a 64 of "a"
}
