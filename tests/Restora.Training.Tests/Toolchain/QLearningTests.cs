using Restora.Imaging;
using Restora.Models.Toolchain;
using Restora.Training.Toolchain;

namespace Restora.Training.Tests.Toolchain;

/// <summary>
/// Deep Q-learning on a tiny environment whose best policy is known: an image is dark or bright; tool 0 fixes a dark
/// one (+1), tool 1 a bright one (+1); the wrong tool, or any tool on a fixed image, costs 1 and ends the episode;
/// stopping gains nothing. The best chain is the right tool, then stop: the learner must find it for both images
/// and must not run a third tool, which only the LSTM's memory of the previous step (or the fixed image) tells it.
/// </summary>
public class QLearningTests
{
    sealed class DarkBright : IEpisodeEnvironment
    {
        const int Length = 3 * AgentNetwork.CropSize * AgentNetwork.CropSize;
        public int Actions => 3;
        public string State = "dark";
        public static float[] Image(float v) => Enumerable.Repeat(v, Length).ToArray();
        public float[] Reset(SeededRandom rng)
        {
            State = rng.NextDouble() < 0.5 ? "bright" : "dark";
            return Image(State == "dark" ? 0.2f : 0.8f);
        }
        public (float[] Next, float Reward, bool Done) Act(int action)
        {
            if (action == 2) return (Image(0.5f), 0, true);
            bool right = (State, action) is ("dark", 0) or ("bright", 1);
            State = right ? "fixed" : "worse";
            return (Image(right ? 0.5f : 0.0f), right ? 1 : -1, !right);
        }
    }

    [Fact]
    public void TheLearnerFindsTheRightToolThenStopsForEachImage()
    {
        var agent = new AgentNetwork(3, 2, hidden: 16, rng: new Random(3));
        var env = new DarkBright();
        var learner = new QLearner(agent, env, new QLearningConfig
        {
            Steps = 800, Warmup = 100, EpsilonSteps = 400, LearningRate = 1e-3, TargetEvery = 50, Batch = 8, Memory = 2000,
            Gamma = 0.9, MaxSteps = 3, Seed = 5,
        });
        int episodes = 0;
        learner.EpisodeEnded = (_, _) => episodes++;
        learner.Run();
        Assert.Equal(800, learner.Step);
        Assert.True(episodes > 100, $"only {episodes} episodes");

        foreach (var (start, right) in new[] { (0.2f, 0), (0.8f, 1) })
        {
            using var h = Restora.Core.Tensor.Zeros(1, 16);
            using var c = Restora.Core.Tensor.Zeros(1, 16);
            using var x = Restora.Core.Tensor.FromArray(DarkBright.Image(start), 1, 3, 63, 63);
            using var none = ToolchainRestorer.OneHot(1, 2, -1);
            var (q, h1, c1) = agent.Step(x, none, h, c);
            Assert.Equal(right, ToolchainRestorer.MeanArgMax(q));
            using var fixedImage = Restora.Core.Tensor.FromArray(DarkBright.Image(0.5f), 1, 3, 63, 63);
            using var previous = ToolchainRestorer.OneHot(1, 2, right);
            var (q2, _, _) = agent.Step(fixedImage, previous, h1, c1);
            Assert.Equal(2, ToolchainRestorer.MeanArgMax(q2));
            // Its values approach the returns: about 1 for the right tool, about 0 for stopping after it.
            Assert.InRange(q.ReadOnlySpan[right], 0.6, 1.4);
        }
    }

    [Fact]
    public void ACheckpointRestoresTheNetworksAndTheStepCount()
    {
        string path = Path.Combine(Path.GetTempPath(), $"restora-q-{Guid.NewGuid():N}.safetensors");
        try
        {
            var config = new QLearningConfig { Steps = 60, Warmup = 20, Batch = 4, Memory = 100, TargetEvery = 10, Seed = 1 };
            var a = new AgentNetwork(3, 2, hidden: 8, rng: new Random(1));
            var learner = new QLearner(a, new DarkBright(), config);
            learner.Run(untilStep: 40);
            learner.SaveCheckpoint(path, new Dictionary<string, string> { ["command"] = "test" });

            var b = new AgentNetwork(3, 2, hidden: 8, rng: new Random(99));
            var resumed = new QLearner(b, new DarkBright(), config);
            var meta = resumed.LoadCheckpoint(path);
            Assert.Equal("test", meta["command"]);
            Assert.Equal(40, resumed.Step);
            foreach (var (name, t) in a.StateDict()) Assert.Equal(t.ReadOnlySpan.ToArray(), b.StateDict()[name].ReadOnlySpan.ToArray());
            resumed.Run();
            Assert.Equal(60, resumed.Step);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void TheReplayMemoryKeepsTheLastTransitionsAndSamplesOnlyThose()
    {
        var memory = new ReplayMemory<int>(4);
        for (int i = 0; i < 10; i++) memory.Add(i);
        Assert.Equal(4, memory.Count);
        var drawn = memory.Sample(200, new SeededRandom(3));
        Assert.All(drawn, v => Assert.InRange(v, 6, 9));
        Assert.Equal(4, drawn.Distinct().Count());
    }

    [Fact]
    public void EpsilonFallsLinearlyThenStays()
    {
        var c = new QLearningConfig { Steps = 1000, EpsilonStart = 1, EpsilonEnd = 0.1 };
        Assert.Equal(1, c.Epsilon(0), 6);
        Assert.Equal(0.55, c.Epsilon(250), 6);
        Assert.Equal(0.1, c.Epsilon(500), 6);
        Assert.Equal(0.1, c.Epsilon(999), 6);
    }
}
