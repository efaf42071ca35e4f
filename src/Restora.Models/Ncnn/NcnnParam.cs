using System.Globalization;

namespace Restora.Models.Ncnn;

/// <summary>One value of a layer's parameter dictionary: an integer or a float scalar, or an array of them.</summary>
internal readonly struct NcnnParamValue
{
    public bool IsArray { get; init; }
    public bool IsFloat { get; init; }
    public int Int { get; init; }
    public float Float { get; init; }
    public float[]? Floats { get; init; }
    public int[]? Ints { get; init; }

    /// <summary>Whether the value is a zero scalar (an integer or float 0), the default every key has.</summary>
    public bool IsZero => !IsArray && (IsFloat ? Float == 0 : Int == 0);

    public override string ToString() => IsArray
        ? $"[{string.Join(",", Floats!.Select(f => f.ToString(CultureInfo.InvariantCulture)))}]"
        : IsFloat ? Float.ToString(CultureInfo.InvariantCulture) : Int.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// A layer's <c>k=v</c> parameters. Keys 0–31 hold scalars (float when the text has '.', 'e' or 'E', else
/// integer); key <c>-233NN</c> in the file holds an array for key NN as <c>count,v1,…,vcount</c>.
/// </summary>
internal sealed class NcnnParamDict
{
    /// <summary>ncnn reserves this many keys per layer.</summary>
    public const int MaxKeys = 32;

    readonly NcnnParamValue?[] values = new NcnnParamValue?[MaxKeys];
    readonly string where;

    public NcnnParamDict(string where) => this.where = where;

    internal void Set(int key, NcnnParamValue value) => values[key] = value;

    public bool Has(int key) => values[key] is not null;

    public IEnumerable<int> Keys => Enumerable.Range(0, MaxKeys).Where(Has);

    public NcnnParamValue? this[int key] => values[key];

    /// <summary>An integer scalar; a float with an integral value is accepted.</summary>
    public int Int(int key, int defaultValue)
    {
        if (values[key] is not { } v) return defaultValue;
        if (v.IsArray) throw Bad($"key {key} is an array, an integer was expected");
        if (!v.IsFloat) return v.Int;
        if (v.Float == MathF.Round(v.Float) && Math.Abs(v.Float) < 1 << 30) return (int)v.Float;
        throw Bad($"key {key} = {v} is not an integer");
    }

    public float Float(int key, float defaultValue)
    {
        if (values[key] is not { } v) return defaultValue;
        if (v.IsArray) throw Bad($"key {key} is an array, a number was expected");
        return v.IsFloat ? v.Float : v.Int;
    }

    /// <summary>The array stored under <c>-233NN</c> for key NN, as floats (integers converted); empty if absent.</summary>
    public float[] Floats(int key)
    {
        if (values[key] is not { } v) return [];
        if (!v.IsArray) throw Bad($"key {key} is a scalar, an array was expected");
        return v.Floats!;
    }

    /// <summary>The array for key NN as integers; float elements must be integral.</summary>
    public int[] Ints(int key)
    {
        if (values[key] is not { } v) return [];
        if (!v.IsArray) throw Bad($"key {key} is a scalar, an array was expected");
        return v.Ints ?? throw Bad($"key {key} holds non-integer values {v}");
    }

    /// <summary>
    /// Refuses every key outside <paramref name="known"/> unless it holds the scalar 0 (the default): a key this
    /// reader does not act on would otherwise change the model's meaning silently.
    /// </summary>
    public void OnlyKeys(params int[] known)
    {
        for (int k = 0; k < MaxKeys; k++)
            if (values[k] is { } v && Array.IndexOf(known, k) < 0 && !v.IsZero)
                throw Bad($"key {k} = {v} is not supported");
    }

    public InvalidDataException Bad(string problem) => new($"{where}: {problem}");
}

/// <summary>One layer line of a <c>.param</c> file.</summary>
internal sealed record NcnnLayerSpec(string Type, string Name, string[] Inputs, string[] Outputs, NcnnParamDict Params, int Line);

/// <summary>
/// The text <c>.param</c> file: line 1 the magic 7767517, line 2 <c>layers blobs</c>, then one line per layer
/// <c>Type name nIn nOut in… out… k=v…</c>. Every count is checked against what the file holds before anything is
/// sized by it, and every problem is an <see cref="InvalidDataException"/> of one line naming the file.
/// </summary>
internal sealed class NcnnParamFile
{
    public const int Magic = 7767517;

    /// <summary>The largest .param accepted: the biggest real ones are well under 1 MB.</summary>
    public const long MaxBytes = 64L << 20;

    public required string Path { get; init; }
    public required int BlobCount { get; init; }
    public required List<NcnnLayerSpec> Layers { get; init; }

    public static NcnnParamFile Load(string path)
    {
        if (!File.Exists(path)) throw new InvalidDataException($"{path}: no such file");
        try
        {
            long length = new FileInfo(path).Length;
            if (length > MaxBytes) throw new InvalidDataException($"{path}: {length} bytes is too large for a .param file (at most {MaxBytes})");
            return Parse(File.ReadAllText(path), path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"{path}: {e.Message}");
        }
    }

    public static NcnnParamFile Parse(string text, string path)
    {
        var lines = text.Split('\n');
        int at = 0;
        string[] NextLine(out int lineNo)
        {
            while (at < lines.Length)
            {
                var tokens = lines[at].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                at++;
                if (tokens.Length > 0) { lineNo = at; return tokens; }
            }
            lineNo = at;
            return [];
        }

        var magic = NextLine(out int magicLine);
        if (magic.Length != 1 || magic[0] != Magic.ToString(CultureInfo.InvariantCulture))
            throw new InvalidDataException($"{path}: line {magicLine}: the magic number {Magic} is missing (not an ncnn .param file, or the binary .param.bin form)");
        var counts = NextLine(out int countLine);
        if (counts.Length != 2 || !TryInt(counts[0], out int layerCount) || !TryInt(counts[1], out int blobCount))
            throw new InvalidDataException($"{path}: line {countLine}: expected 'layers blobs', got '{string.Join(' ', counts)}'");
        int remaining = lines.Skip(at).Count(l => !string.IsNullOrWhiteSpace(l));
        if (layerCount <= 0 || layerCount > remaining)
            throw new InvalidDataException($"{path}: line {countLine}: {layerCount} layers declared, the file has {remaining} layer lines");
        if (blobCount < 0 || blobCount > 64L * layerCount)
            throw new InvalidDataException($"{path}: line {countLine}: {blobCount} blobs declared for {layerCount} layers");

        var layers = new List<NcnnLayerSpec>(layerCount);
        var produced = new HashSet<string>(StringComparer.Ordinal);
        var layerNames = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < layerCount; i++)
        {
            var t = NextLine(out int lineNo);
            string where = $"{path}: line {lineNo}";
            if (t.Length < 4) throw new InvalidDataException($"{where}: expected 'Type name nIn nOut …', got '{string.Join(' ', t)}'");
            if (!TryInt(t[2], out int nIn) || !TryInt(t[3], out int nOut) || nIn < 0 || nOut < 0 || 4L + nIn + nOut > t.Length)
                throw new InvalidDataException($"{where}: layer '{t[1]}' declares {t[2]} inputs and {t[3]} outputs, the line has {t.Length - 4} names and values");
            if (!layerNames.Add(t[1])) throw new InvalidDataException($"{where}: layer name '{t[1]}' is used twice");
            var inputs = t[4..(4 + nIn)];
            var outputs = t[(4 + nIn)..(4 + nIn + nOut)];
            foreach (var b in inputs)
                if (!produced.Contains(b)) throw new InvalidDataException($"{where}: layer '{t[1]}' reads blob '{b}', which no earlier layer produces");
            foreach (var b in outputs)
                if (!produced.Add(b)) throw new InvalidDataException($"{where}: layer '{t[1]}' produces blob '{b}', which an earlier layer already produced");
            var dict = new NcnnParamDict($"{path}: layer '{t[1]}' ({t[0]}, line {lineNo})");
            for (int k = 4 + nIn + nOut; k < t.Length; k++) ParseKeyValue(t[k], dict, where);
            layers.Add(new NcnnLayerSpec(t[0], t[1], inputs, outputs, dict, lineNo));
        }
        var extra = NextLine(out int extraLine);
        if (extra.Length > 0) throw new InvalidDataException($"{path}: line {extraLine}: more layer lines than the {layerCount} declared");
        if (produced.Count != blobCount)
            throw new InvalidDataException($"{path}: {blobCount} blobs declared, the layers produce {produced.Count}");
        return new NcnnParamFile { Path = path, BlobCount = blobCount, Layers = layers };
    }

    static void ParseKeyValue(string token, NcnnParamDict dict, string where)
    {
        int eq = token.IndexOf('=');
        if (eq <= 0 || !TryInt(token[..eq], out int id))
            throw new InvalidDataException($"{where}: '{token}' is not a key=value pair");
        bool array = id <= -23300;
        int key = array ? -id - 23300 : id;
        if (key < 0 || key >= NcnnParamDict.MaxKeys)
            throw new InvalidDataException($"{where}: key {id} is outside 0..{NcnnParamDict.MaxKeys - 1} (arrays -23300..-{23300 + NcnnParamDict.MaxKeys - 1})");
        if (dict.Has(key)) throw new InvalidDataException($"{where}: key {key} is given twice");
        string text = token[(eq + 1)..];
        if (!array)
        {
            dict.Set(key, ParseScalar(text, out var value) ? value : throw new InvalidDataException($"{where}: key {key} has a value '{text}' that is not a number"));
            return;
        }
        var parts = text.Split(',');
        if (!TryInt(parts[0], out int count) || count < 0 || count != parts.Length - 1)
            throw new InvalidDataException($"{where}: array key {id} says {parts[0]} values and holds {parts.Length - 1}");
        var floats = new float[count];
        var ints = new int[count];
        bool allInts = true;
        for (int i = 0; i < count; i++)
        {
            if (!ParseScalar(parts[i + 1], out var v)) throw new InvalidDataException($"{where}: array key {id} value '{parts[i + 1]}' is not a number");
            floats[i] = v.IsFloat ? v.Float : v.Int;
            if (v.IsFloat) allInts &= v.Float == MathF.Round(v.Float) && Math.Abs(v.Float) < 1 << 30;
            ints[i] = v.IsFloat ? (int)v.Float : v.Int;
        }
        dict.Set(key, new NcnnParamValue { IsArray = true, Floats = floats, Ints = allInts ? ints : null });
    }

    static bool ParseScalar(string text, out NcnnParamValue value)
    {
        if (text.IndexOfAny(['.', 'e', 'E']) >= 0)
        {
            bool ok = float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float f);
            value = new NcnnParamValue { IsFloat = true, Float = f };
            return ok;
        }
        bool okInt = TryInt(text, out int n);
        value = new NcnnParamValue { Int = n };
        return okInt;
    }

    static bool TryInt(string s, out int value) => int.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
}
