using System.Globalization;
using Restora.Imaging;

namespace Restora;

/// <summary>
/// One of <see cref="Count"/> parts of a batch, so that N processes (a Kubernetes Indexed Job, a Slurm array) share a
/// folder without talking to each other: each file belongs to exactly one shard, chosen by a stable hash of its path
/// relative to the input folder, so every process computes the same split whatever machine or order it runs in.
/// </summary>
/// <param name="Index">This shard, 0 to <see cref="Count"/> - 1.</param>
/// <param name="Count">Shards in all.</param>
public readonly record struct Shard(int Index, int Count)
{
    /// <summary>The whole batch as one shard.</summary>
    public static Shard All => new(0, 1);

    /// <summary>Whether this is a real split (more than one shard).</summary>
    public bool IsSplit => Count > 1;

    /// <summary>
    /// Whether the file at <paramref name="relativePath"/> (relative to the input folder, '/'-separated) is this shard's.
    /// FNV-1a (<see cref="SeededRandom.StableHash"/>), not <see cref="string.GetHashCode()"/>, which differs between
    /// processes.
    /// </summary>
    public bool Owns(string relativePath) =>
        Count <= 1 || (int)(SeededRandom.StableHash(relativePath.Replace('\\', '/')) % (ulong)Count) == Index;

    /// <summary>"I/N", the form <see cref="Parse"/> reads.</summary>
    public override string ToString() => $"{Index}/{Count}";

    /// <summary>
    /// "I/N" with 0 &lt;= I &lt; N; anything else is an <see cref="ArgumentException"/> with a one-line message.
    /// </summary>
    public static Shard Parse(string text)
    {
        var parts = (text ?? "").Split('/');
        if (parts.Length != 2 || !TryNumber(parts[0], out int index) || !TryNumber(parts[1], out int count))
            throw new ArgumentException($"--shard needs I/N with 0 <= I < N (e.g. 0/4), got '{text}'");
        return Checked(index, count, $"--shard {text}");
    }

    /// <summary>
    /// Shard <paramref name="count"/>-way with this process's index from the scheduler's environment:
    /// <c>JOB_COMPLETION_INDEX</c> (Kubernetes Indexed Jobs, 0-based), else <c>SLURM_ARRAY_TASK_ID</c> less
    /// <c>SLURM_ARRAY_TASK_MIN</c> (Slurm arrays may start at 0 or 1), whose <c>SLURM_ARRAY_TASK_COUNT</c>, when set,
    /// must equal <paramref name="count"/>. Neither set, or a value out of range, is an <see cref="ArgumentException"/>.
    /// </summary>
    /// <param name="count">Shards in all.</param>
    /// <param name="environment">Reads a variable (default <see cref="Environment.GetEnvironmentVariable(string)"/>).</param>
    public static Shard FromEnvironment(int count, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        if (count < 1) throw new ArgumentException($"--shards needs a positive count, got {count}");
        if (environment("JOB_COMPLETION_INDEX") is { Length: > 0 } k8s)
        {
            if (!TryNumber(k8s, out int index)) throw new ArgumentException($"JOB_COMPLETION_INDEX must be a whole number, got '{k8s}'");
            return Checked(index, count, $"JOB_COMPLETION_INDEX={k8s} with --shards {count}");
        }
        if (environment("SLURM_ARRAY_TASK_ID") is { Length: > 0 } slurm)
        {
            string min = environment("SLURM_ARRAY_TASK_MIN") is { Length: > 0 } m ? m : "0";
            if (!TryNumber(slurm, out int id) || !TryNumber(min, out int first))
                throw new ArgumentException($"SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_MIN must be whole numbers, got '{slurm}' and '{min}'");
            if (environment("SLURM_ARRAY_TASK_COUNT") is { Length: > 0 } total && (!TryNumber(total, out int n) || n != count))
                throw new ArgumentException($"--shards {count} but the Slurm array has SLURM_ARRAY_TASK_COUNT={total} tasks; give --shards {total}");
            return Checked(id - first, count, $"SLURM_ARRAY_TASK_ID={slurm} (SLURM_ARRAY_TASK_MIN={min}) with --shards {count}");
        }
        throw new ArgumentException($"--shards {count} needs the shard index in JOB_COMPLETION_INDEX (Kubernetes) or SLURM_ARRAY_TASK_ID (Slurm); or give --shard I/{count}");
    }

    static Shard Checked(int index, int count, string what) =>
        count < 1 ? throw new ArgumentException($"{what}: the shard count must be positive")
        : index < 0 || index >= count ? throw new ArgumentException($"{what}: the shard index must lie in 0..{count - 1}, got {index}")
        : new Shard(index, count);

    static bool TryNumber(string s, out int value) =>
        int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value);
}
