using System.Globalization;
using System.Text.Json;
using Restora.Core;
using Restora.Core.Nn;
using Restora.Core.Optim;
using Restora.Core.Serialization;
using Restora.Imaging;
using Restora.Models.Toolchain;

namespace Restora.Training.Toolchain;

/// <summary>
/// Where an agent acts: episodes that start from an observation (a crop the agent's size) and end when it stops,
/// when a step ends them, or at the step limit the learner enforces. The last action is always "stop".
/// </summary>
public interface IEpisodeEnvironment
{
    /// <summary>Actions, stop (the last) included.</summary>
    int Actions { get; }
    /// <summary>Starts an episode; the observation is [channels, 63, 63] values.</summary>
    float[] Reset(SeededRandom rng);
    /// <summary>Takes <paramref name="action"/>: the next observation, the reward, and whether the episode ended.</summary>
    (float[] Next, float Reward, bool Done) Act(int action);
}

/// <summary>Deep Q-learning's settings (RL-Restore's unless noted).</summary>
public sealed record QLearningConfig
{
    /// <summary>Environment steps in the whole run.</summary>
    public int Steps { get; init; } = 20000;
    public int Batch { get; init; } = 32;
    public double Gamma { get; init; } = 0.99;
    public double LearningRate { get; init; } = 1e-4;
    /// <summary>Transitions the replay memory keeps.</summary>
    public int Memory { get; init; } = 10000;
    /// <summary>Steps of acting before the first update (the memory fills first).</summary>
    public int Warmup { get; init; } = 1000;
    public double EpsilonStart { get; init; } = 1.0;
    public double EpsilonEnd { get; init; } = 0.1;
    /// <summary>Steps over which epsilon falls linearly (default: half the run).</summary>
    public int? EpsilonSteps { get; init; }
    /// <summary>Steps between copies of the online network into the target network.</summary>
    public int TargetEvery { get; init; } = 1000;
    /// <summary>Steps between updates.</summary>
    public int TrainEvery { get; init; } = 1;
    /// <summary>Most tools in an episode.</summary>
    public int MaxSteps { get; init; } = 3;
    public ulong Seed { get; init; }

    /// <summary>Epsilon at <paramref name="step"/>.</summary>
    public double Epsilon(long step)
    {
        double span = EpsilonSteps ?? Steps / 2;
        return step >= span ? EpsilonEnd : EpsilonStart + (EpsilonEnd - EpsilonStart) * step / span;
    }
}

/// <summary>
/// RL-Restore's learner: epsilon-greedy episodes fill a replay memory; each update draws a batch, takes the Huber
/// loss between Q(s, a) and r + γ·max Q_target(s'), and steps Adam; the target network copies the online one every
/// <see cref="QLearningConfig.TargetEvery"/> steps. The LSTM state an action was chosen with is stored with its
/// transition and fed back in the update (no backpropagation through time), as the released code does.
/// </summary>
public sealed class QLearner
{
    readonly AgentNetwork online, target;
    readonly IEpisodeEnvironment env;
    readonly QLearningConfig config;
    readonly Adam adam;
    readonly ReplayMemory<Transition> memory;
    readonly int obsLength;

    /// <summary>Steps taken so far (a resumed run starts from its checkpoint's).</summary>
    public long Step { get; private set; }
    /// <summary>Episodes finished.</summary>
    public long Episodes { get; private set; }

    /// <summary>Told after each finished episode: its total reward and tools used.</summary>
    public Action<float, int>? EpisodeEnded { get; set; }
    /// <summary>Told after each update: the loss.</summary>
    public Action<double>? Updated { get; set; }

    public QLearner(AgentNetwork agent, IEpisodeEnvironment env, QLearningConfig config)
    {
        if (env.Actions != agent.Actions) throw new ArgumentException($"environment has {env.Actions} actions, the agent {agent.Actions}");
        online = agent;
        this.env = env;
        this.config = config;
        target = new AgentNetwork(agent.Channels, agent.Tools, agent.Hidden);
        target.LoadStateDict(online.StateDict());
        target.Eval();
        adam = new Adam(online.Parameters(), config.LearningRate);
        memory = new ReplayMemory<Transition>(config.Memory);
        obsLength = agent.Channels * AgentNetwork.CropSize * AgentNetwork.CropSize;
    }

    // The episode in progress.
    float[]? observation;
    int previous = -1, taken;
    float[] h = [], c = [];
    float episodeReward;

    /// <summary>Runs until <paramref name="untilStep"/> steps in all (or <see cref="QLearningConfig.Steps"/>), calling
    /// <paramref name="every"/> after each step (logging, validation, checkpoints); it may return false to stop.</summary>
    public void Run(long? untilStep = null, Func<long, bool>? every = null)
    {
        long end = untilStep ?? config.Steps;
        // A resumed run's stream continues from its step, so a resume repeats no episode.
        var rng = SeededRandom.ForStream(config.Seed, (ulong)Step);
        while (Step < end)
        {
            if (observation is null)
            {
                observation = env.Reset(rng);
                previous = -1;
                taken = 0;
                h = new float[online.Hidden];
                c = new float[online.Hidden];
                episodeReward = 0;
            }
            var (q, h1, c1) = Act(observation, previous, h, c);
            int action = rng.NextDouble() < config.Epsilon(Step) ? rng.NextInt(online.Actions) : ArgMax(q);
            var (next, reward, done) = env.Act(action);
            if (action != online.Stop) taken++;
            done |= action == online.Stop || taken >= config.MaxSteps;
            memory.Add(new Transition(ToHalf(observation), previous, h, c, action, reward, ToHalf(next), h1, c1, done));
            episodeReward += reward;
            observation = next;
            previous = action;
            h = h1;
            c = c1;
            Step++;
            if (done)
            {
                Episodes++;
                EpisodeEnded?.Invoke(episodeReward, taken);
                observation = null;
            }
            if (Step >= config.Warmup && memory.Count >= config.Batch && Step % config.TrainEvery == 0) Update(rng);
            if (Step % config.TargetEvery == 0) target.LoadStateDict(online.StateDict());
            if (every is not null && !every(Step)) break;
        }
    }

    /// <summary>The online network's Q-values for one observation, and its new LSTM state.</summary>
    (float[] Q, float[] H, float[] C) Act(float[] obs, int prev, float[] hPrev, float[] cPrev)
    {
        using var _ = Autograd.NoGrad();
        online.Eval();
        using var x = Tensor.FromArray(obs, 1, online.Channels, AgentNetwork.CropSize, AgentNetwork.CropSize);
        using var p = ToolchainRestorer.OneHot(1, online.Tools, prev);
        using var ht = Tensor.FromArray(hPrev, 1, online.Hidden);
        using var ct = Tensor.FromArray(cPrev, 1, online.Hidden);
        var (q, h1, c1) = online.Step(x, p, ht, ct);
        var result = (q.ReadOnlySpan.ToArray(), h1.ReadOnlySpan.ToArray(), c1.ReadOnlySpan.ToArray());
        q.Dispose(); h1.Dispose(); c1.Dispose();
        return result;
    }

    void Update(SeededRandom rng)
    {
        var batch = memory.Sample(config.Batch, rng);
        int n = batch.Length, a = online.Actions;
        var targets = new float[n];
        using (Autograd.NoGrad())
        {
            using var next = Images(batch, t => t.Next);
            using var nextPrev = OneHots(batch, t => t.Action == online.Stop ? -1 : t.Action);
            using var nh = Rows(batch, t => t.NextH);
            using var nc = Rows(batch, t => t.NextC);
            var (qn, h2, c2) = target.Step(next, nextPrev, nh, nc);
            var qs = qn.ReadOnlySpan;
            for (int i = 0; i < n; i++)
            {
                float best = float.NegativeInfinity;
                for (int j = 0; j < a; j++) best = Math.Max(best, qs[i * a + j]);
                targets[i] = batch[i].Reward + (batch[i].Done ? 0 : (float)config.Gamma * best);
            }
            qn.Dispose(); h2.Dispose(); c2.Dispose();
        }
        online.Train();
        var images = Images(batch, t => t.Image);
        var prev = OneHots(batch, t => t.Previous);
        var hs = Rows(batch, t => t.H);
        var cs = Rows(batch, t => t.C);
        var mask = Tensor.Zeros(n, a);
        for (int i = 0; i < n; i++) mask.Span[i * a + batch[i].Action] = 1;
        var (q, _, _) = online.Step(images, prev, hs, cs);
        var chosen = F.Sum(F.Mul(q, mask), [1]);
        var loss = F.HuberLoss(chosen, Tensor.FromArray(targets, n));
        adam.ZeroGrad();
        loss.Backward();
        adam.Step();
        Updated?.Invoke(loss.Item());
        online.Eval();
    }

    Tensor Images(Transition[] batch, Func<Transition, Half[]> pick)
    {
        var t = Tensor.Empty(batch.Length, online.Channels, AgentNetwork.CropSize, AgentNetwork.CropSize);
        var s = t.Span;
        for (int i = 0; i < batch.Length; i++)
        {
            var src = pick(batch[i]);
            for (int k = 0; k < obsLength; k++) s[i * obsLength + k] = (float)src[k];
        }
        return t;
    }

    Tensor OneHots(Transition[] batch, Func<Transition, int> pick)
    {
        var t = Tensor.Zeros(batch.Length, online.Tools);
        for (int i = 0; i < batch.Length; i++) if (pick(batch[i]) is int k and >= 0) t.Span[i * online.Tools + k] = 1;
        return t;
    }

    static Tensor Rows(Transition[] batch, Func<Transition, float[]> pick)
    {
        int width = pick(batch[0]).Length;
        var t = Tensor.Empty(batch.Length, width);
        for (int i = 0; i < batch.Length; i++) pick(batch[i]).CopyTo(t.Span.Slice(i * width, width));
        return t;
    }

    static Half[] ToHalf(float[] values)
    {
        var h = new Half[values.Length];
        for (int i = 0; i < values.Length; i++) h[i] = (Half)values[i];
        return h;
    }

    static int ArgMax(float[] q)
    {
        int best = 0;
        for (int j = 1; j < q.Length; j++) if (q[j] > q[best]) best = j;
        return best;
    }

    /// <summary>
    /// Writes the online and target networks, Adam's state and the step count. The replay memory is not kept (about
    /// 0.5 GB): a resumed run refills it by acting before it updates again, so a resume continues the run but is not
    /// bit-identical to an unbroken one.
    /// </summary>
    public void SaveCheckpoint(string path, IReadOnlyDictionary<string, string> metadata)
    {
        var tensors = new List<KeyValuePair<string, Tensor>>();
        tensors.AddRange(online.StateDict().Select(kv => new KeyValuePair<string, Tensor>("online." + kv.Key, kv.Value)));
        tensors.AddRange(target.StateDict().Select(kv => new KeyValuePair<string, Tensor>("target." + kv.Key, kv.Value)));
        tensors.AddRange(adam.StateDict().Select(kv => new KeyValuePair<string, Tensor>("adam." + kv.Key, kv.Value)));
        var meta = new Dictionary<string, string>(metadata)
        {
            ["step"] = Step.ToString(CultureInfo.InvariantCulture),
            ["episodes"] = Episodes.ToString(CultureInfo.InvariantCulture),
        };
        AtomicFile.Write(path, temp => SafeTensors.Save(temp, tensors, meta));
    }

    /// <summary>Restores what <see cref="SaveCheckpoint"/> wrote; returns the checkpoint's metadata.</summary>
    public IReadOnlyDictionary<string, string> LoadCheckpoint(string path)
    {
        var checkpoint = SafeTensors.Load(path);
        Dictionary<string, Tensor> Part(string prefix) => checkpoint.Tensors.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value);
        online.LoadStateDict(Part("online."));
        target.LoadStateDict(Part("target."));
        adam.LoadStateDict(Part("adam."));
        Step = long.Parse(checkpoint.Metadata["step"], CultureInfo.InvariantCulture);
        Episodes = long.Parse(checkpoint.Metadata["episodes"], CultureInfo.InvariantCulture);
        foreach (var t in checkpoint.Tensors.Values) t.Dispose();
        observation = null;
        return checkpoint.Metadata;
    }
}
