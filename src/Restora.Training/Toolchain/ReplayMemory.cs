namespace Restora.Training.Toolchain;

/// <summary>One step of an episode: the state (image, previous tool, LSTM state), the action, its reward, and the next state.</summary>
/// <param name="Previous">The tool used before (-1 at the first step).</param>
/// <param name="Done">Whether the episode ended with this step (stop, step limit, or the image got worse than it began).</param>
public sealed record Transition(Half[] Image, int Previous, float[] H, float[] C, int Action, float Reward, Half[] Next, float[] NextH, float[] NextC, bool Done);

/// <summary>
/// Deep Q-learning's replay memory: the last <see cref="Capacity"/> transitions in a ring, sampled uniformly so that
/// one update sees steps of many episodes, not the correlated steps of one. Images are kept as halves (a 63x63 RGB
/// patch in 24 kB), which is exact enough for pixel values and their small restorations.
/// </summary>
public sealed class ReplayMemory<T>
{
    readonly T[] items;
    int next;

    public ReplayMemory(int capacity)
    {
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity), $"replay memory needs room for at least one transition, got {capacity}");
        items = new T[capacity];
    }

    /// <summary>Most transitions kept.</summary>
    public int Capacity => items.Length;
    /// <summary>Transitions held now.</summary>
    public int Count { get; private set; }

    /// <summary>Adds one, replacing the oldest when full.</summary>
    public void Add(T item)
    {
        items[next] = item;
        next = (next + 1) % items.Length;
        Count = Math.Min(Count + 1, items.Length);
    }

    /// <summary><paramref name="n"/> transitions drawn uniformly with replacement.</summary>
    public T[] Sample(int n, Imaging.SeededRandom rng)
    {
        if (Count == 0) throw new InvalidOperationException("replay memory is empty");
        var batch = new T[n];
        for (int i = 0; i < n; i++) batch[i] = items[rng.NextInt(Count)];
        return batch;
    }
}
