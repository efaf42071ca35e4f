using System.Buffers.Binary;

namespace Restora.Fuzz.Tests;

/// <summary>
/// Deterministic mutations of seed files, the kinds AFL's havoc stage makes: bit flips, random bytes, "interesting"
/// integers (0, -1, the edges of each width, sizes that overflow when multiplied) written over a field in either
/// byte order, byte runs inserted, deleted or duplicated, a splice with another seed, and truncation. The same
/// (seeds, seed number) always gives the same inputs, so a failure names a reproducible mutant.
/// </summary>
public sealed class Mutator(IReadOnlyList<byte[]> seeds, int seed)
{
    readonly Random random = new(seed);

    static readonly long[] Interesting =
    [
        0, 1, -1, 2, 7, 8, 16, 32, 64, 100, 127, 128, 255, 256, 512, 1000, 1024, 4096, 32767, 32768, 65535, 65536,
        100_000, 1 << 20, 1 << 24, int.MaxValue, int.MinValue, 0x7FFFFFFF - 7, 0x40000000, 0x80000000, 0xFFFFFFFF,
        0xFFFFFFFE, 46341, 65537, 100_000_000, long.MaxValue, long.MinValue,
    ];

    /// <summary>The next mutant: a seed with one to four mutations stacked.</summary>
    public byte[] Next()
    {
        var bytes = new List<byte>(seeds[random.Next(seeds.Count)]);
        int rounds = 1 + random.Next(4);
        for (int r = 0; r < rounds; r++) Mutate(bytes);
        return [.. bytes];
    }

    void Mutate(List<byte> b)
    {
        if (b.Count == 0)
        {
            b.Add((byte)random.Next(256));
            return;
        }
        int at = random.Next(b.Count);
        switch (random.Next(9))
        {
            case 0: // bit flip
                b[at] ^= (byte)(1 << random.Next(8));
                break;
            case 1: // random byte
                b[at] = (byte)random.Next(256);
                break;
            case 2: // an interesting integer over a 1-, 2-, 4- or 8-byte field, little- or big-endian
                {
                    int width = 1 << random.Next(4);
                    if (at + width > b.Count) at = Math.Max(0, b.Count - width);
                    var field = new byte[8];
                    long value = Interesting[random.Next(Interesting.Length)];
                    if (random.Next(2) == 0) BinaryPrimitives.WriteInt64LittleEndian(field, value);
                    else
                    {
                        BinaryPrimitives.WriteInt64BigEndian(field, value);
                        field = field[(8 - width)..];
                    }
                    for (int i = 0; i < width && at + i < b.Count; i++) b[at + i] = field[i];
                    break;
                }
            case 3: // insert random bytes
                b.InsertRange(at, Enumerable.Range(0, 1 + random.Next(16)).Select(_ => (byte)random.Next(256)));
                break;
            case 4: // delete a run
                b.RemoveRange(at, Math.Min(b.Count - at, 1 + random.Next(32)));
                break;
            case 5: // duplicate a run elsewhere
                {
                    int length = Math.Min(b.Count - at, 1 + random.Next(64));
                    var run = b.GetRange(at, length);
                    b.InsertRange(random.Next(b.Count + 1), run);
                    break;
                }
            case 6: // splice: this seed's head, another's tail
                {
                    var other = seeds[random.Next(seeds.Count)];
                    int from = random.Next(other.Length + 1);
                    b.RemoveRange(at, b.Count - at);
                    b.AddRange(other.AsSpan(from).ToArray());
                    break;
                }
            case 7: // truncate
                b.RemoveRange(at, b.Count - at);
                break;
            default: // ASCII digits, for the text formats (JSON, ncnn .param, XMP)
                {
                    string digits = Interesting[random.Next(Interesting.Length)].ToString(System.Globalization.CultureInfo.InvariantCulture);
                    b.InsertRange(at, digits.Select(c => (byte)c));
                    break;
                }
        }
    }
}
