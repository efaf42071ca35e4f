using Restora.Core;
using Restora.Core.Nn;
using Restora.Training;

namespace Restora.Training.Tests;

public class EmaTests
{
    [Fact]
    public void The_average_forgets_the_initial_weights_early_in_a_run()
    {
        var source = new Conv2d(1, 1, 1, rng: new Random(1));
        var average = new Conv2d(1, 1, 1, rng: new Random(2));
        var ema = new Ema(source, average, 0.999);
        float initial = average.Weight.Span[0];
        source.Weight.Span[0] = initial + 1; // the network moves by 1 and stays there
        for (int step = 1; step <= 200; step++) ema.Update(step);
        // With the ramp the initial weights keep under 5% after 200 steps; a flat 0.999 would keep 82%.
        double initialShare = (initial + 1) - average.Weight.Span[0];
        Assert.InRange(initialShare, 0, 0.05);
    }

    [Fact]
    public void The_decay_ramps_up_to_the_configured_value()
    {
        var ema = new Ema(new Conv2d(1, 1, 1, rng: new Random(1)), new Conv2d(1, 1, 1, rng: new Random(2)), 0.999);
        Assert.Equal(2.0 / 11, ema.DecayAt(1), 12);
        Assert.True(ema.DecayAt(100) < ema.DecayAt(1000));
        Assert.Equal(0.999, ema.DecayAt(1_000_000), 12);
    }
}
