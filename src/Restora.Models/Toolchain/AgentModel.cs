using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;
using Restora.Core.Serialization;

namespace Restora.Models.Toolchain;

/// <summary>
/// An agent's file: the network's weights as .safetensors, and in its metadata what it needs besides them — its
/// tools' names in action order, its sizes, how many steps a chain may take — with the usual model keys (arch
/// <c>rl-agent</c>, task <c>mixed</c>, iterations, command) so `models list` and `models info` read it as any model.
/// </summary>
public static class AgentModel
{
    /// <summary>The <c>format</c> key's value that marks an agent file.</summary>
    public const string Format = "restora-agent-1";
    /// <summary>The architecture name its metadata carries.</summary>
    public const string Arch = "rl-agent";

    /// <summary>What an agent's file says besides its weights.</summary>
    public sealed record Info(IReadOnlyList<string> Tools, int Channels, int Hidden, int MaxSteps, long Iterations, string Command,
        IReadOnlyDictionary<string, string> Extra);

    /// <summary>Writes the agent and its info.</summary>
    public static void Save(string path, AgentNetwork agent, Info info)
    {
        if (info.Tools.Count != agent.Tools) throw new ArgumentException($"agent has {agent.Tools} tools, info names {info.Tools.Count}");
        var metadata = new Dictionary<string, string>(info.Extra, StringComparer.Ordinal)
        {
            ["format"] = Format,
            ["arch"] = Arch,
            ["arch_options"] = JsonSerializer.Serialize(new SortedDictionary<string, string>
            {
                ["channels"] = agent.Channels.ToString(CultureInfo.InvariantCulture),
                ["hidden"] = agent.Hidden.ToString(CultureInfo.InvariantCulture),
                ["tools"] = agent.Tools.ToString(CultureInfo.InvariantCulture),
            }),
            ["task"] = "mixed",
            ["scale"] = "1",
            ["iterations"] = info.Iterations.ToString(CultureInfo.InvariantCulture),
            ["command"] = info.Command,
            ["tool_names"] = JsonSerializer.Serialize(info.Tools),
            ["max_steps"] = info.MaxSteps.ToString(CultureInfo.InvariantCulture),
        };
        SafeTensors.SaveModule(path, agent, metadata);
    }

    /// <summary>Reads an agent file; a damaged or foreign file is an <see cref="InvalidDataException"/> naming it.</summary>
    public static (AgentNetwork Agent, Info Info) Load(string path)
    {
        var checkpoint = SafeTensors.Load(path);
        try
        {
            var m = checkpoint.Metadata;
            string Need(string key) => m.TryGetValue(key, out var v) ? v : throw new InvalidDataException($"{path}: agent metadata has no '{key}'");
            if (Need("format") != Format) throw new InvalidDataException($"{path}: not an agent file (format '{m["format"]}')");
            int Int(string key, int min, int max) =>
                int.TryParse(Need(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v >= min && v <= max ? v
                : throw new InvalidDataException($"{path}: agent metadata '{key}' must be a whole number {min}..{max}");
            List<string> tools;
            try { tools = JsonSerializer.Deserialize<List<string>>(Need("tool_names")) ?? []; }
            catch (JsonException e) { throw new InvalidDataException($"{path}: agent metadata 'tool_names' is not a JSON list of names: {e.Message}"); }
            if (tools.Count is < 1 or > 64) throw new InvalidDataException($"{path}: an agent needs 1..64 tools, the file names {tools.Count}");
            Dictionary<string, string> options;
            try { options = JsonSerializer.Deserialize<Dictionary<string, string>>(Need("arch_options")) ?? []; }
            catch (JsonException e) { throw new InvalidDataException($"{path}: agent metadata 'arch_options' is not a JSON object: {e.Message}"); }
            int channels = int.TryParse(options.GetValueOrDefault("channels"), out int ch) && ch is 1 or 3 ? ch : throw new InvalidDataException($"{path}: agent channels must be 1 or 3");
            int hidden = int.TryParse(options.GetValueOrDefault("hidden"), out int hd) && hd is >= 1 and <= 4096 ? hd : throw new InvalidDataException($"{path}: agent hidden size must be 1..4096");
            var agent = new AgentNetwork(channels, tools.Count, hidden);
            try { agent.LoadStateDict(checkpoint.Tensors); }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException) { throw new InvalidDataException($"{path}: {e.Message}", e); }
            agent.Eval();
            var known = new HashSet<string> { "format", "arch", "arch_options", "task", "scale", "iterations", "command", "tool_names", "max_steps" };
            var info = new Info(tools, channels, hidden, Int("max_steps", 1, 16),
                long.TryParse(m.GetValueOrDefault("iterations"), out long it) ? it : 0, m.GetValueOrDefault("command") ?? "",
                m.Where(kv => !known.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value));
            return (agent, info);
        }
        finally
        {
            foreach (var t in checkpoint.Tensors.Values) t.Dispose();
        }
    }

    /// <summary>Whether <paramref name="path"/> is a .safetensors file whose metadata marks an agent: reads only the header
    /// (at most 1 MB of it; an agent's is a few kB).</summary>
    public static bool IsAgentFile(string path)
    {
        try
        {
            using var file = File.OpenRead(path);
            Span<byte> length = stackalloc byte[8];
            if (file.Read(length) != 8) return false;
            ulong n = BinaryPrimitives.ReadUInt64LittleEndian(length);
            if (n is 0 or > 1 << 20) return false;
            var header = new byte[n];
            file.ReadExactly(header);
            using var json = JsonDocument.Parse(header);
            return json.RootElement.TryGetProperty("__metadata__", out var meta) && meta.ValueKind == JsonValueKind.Object
                && meta.TryGetProperty("format", out var format) && format.ValueKind == JsonValueKind.String && format.GetString() == Format;
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException) { return false; }
    }
}
