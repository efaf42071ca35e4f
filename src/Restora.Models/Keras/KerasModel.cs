using System.Text.Json;
using Restora.Core;

namespace Restora.Models.Keras;

/// <summary>
/// A Keras layers-model in TensorFlow.js format (model.json with a Functional topology, plus float32 or
/// quantized weight shards), run on Restora's engine in NCHW. Supports the layers the UpscalerJS super-resolution
/// packages use: InputLayer, Conv2D (with its activation), Activation, Concatenate, Add, UpSampling2D, and their
/// custom MultiplyBeta (x * beta) and PixelShuffle{r}x (TensorFlow depth_to_space, NHWC channel order).
/// </summary>
public sealed class KerasModel
{
    readonly List<Layer> layers;
    readonly int outputIndex;

    public string Name { get; }

    /// <summary>Product of the upsampling factors between input and output.</summary>
    public int Scale { get; }

    /// <summary>
    /// How many input pixels around a pixel can change its output: the sum of every conv's reach, in input
    /// pixels (a conv after x4 upsampling reaches a quarter as far). Tiles that overlap by at least this much
    /// give the same pixels as the whole image.
    /// </summary>
    public int ReceptiveRadius { get; }

    KerasModel(string name, List<Layer> layers, int outputIndex, int scale, int radius)
    {
        Name = name;
        this.layers = layers;
        this.outputIndex = outputIndex;
        Scale = scale;
        ReceptiveRadius = radius;
    }

    /// <summary>
    /// Loads model.json and its weight shards from a folder. Anything malformed, in the JSON or the shards, is a
    /// <see cref="KerasFormatException"/> naming the file.
    /// </summary>
    public static KerasModel Load(string folder)
    {
        string jsonPath = Path.Combine(folder, "model.json");
        if (!File.Exists(jsonPath)) throw new KerasFormatException($"{jsonPath}: no such file");
        long length = new FileInfo(jsonPath).Length;
        if (length > MaxJsonBytes) throw new KerasFormatException($"{jsonPath}: {length} bytes is too large for a model.json (at most {MaxJsonBytes})");
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(jsonPath));
            var root = doc.RootElement;
            if (root.TryGetProperty("format", out var format) && format.GetString() != "layers-model")
                throw new KerasFormatException($"{jsonPath}: format '{format.GetString()}' is not a Keras layers-model");
            var weights = WeightShards.Read(folder, root.GetProperty("weightsManifest"));
            var topology = root.GetProperty("modelTopology");
            var config = topology.TryGetProperty("model_config", out var mc) ? mc : topology;
            string className = config.GetProperty("class_name").GetString() ?? "";
            if (className is not ("Functional" or "Model"))
                throw new KerasFormatException($"{jsonPath}: model class '{className}' is not supported (only Functional models)");
            return Build(config.GetProperty("config"), weights, jsonPath);
        }
        // What JsonDocument and JsonElement throw for text that is not JSON, a missing property, or a value of the
        // wrong kind (a string where a number belongs): all mean a model.json this reader cannot use.
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            // JsonElement.GetProperty's own message ("the given key was not present") does not name the key.
            string why = e is KeyNotFoundException ? "a property a layers-model needs is missing" : e.Message.ReplaceLineEndings(" ");
            throw new KerasFormatException($"{jsonPath}: malformed model.json ({why})");
        }
    }

    /// <summary>A JSON array of exactly <paramref name="length"/> integers, as a kernel size or stride is.</summary>
    internal static int[] Ints(JsonElement array, int length, string what, string source)
    {
        var values = array.EnumerateArray().Select(e => e.GetInt32()).ToArray();
        return values.Length == length ? values
            : throw new KerasFormatException($"{source}: {what} has {values.Length} values, expected {length}");
    }

    /// <summary>The largest model.json read: real ones hold the topology only (tens of kilobytes), the weights are in shards.</summary>
    public const long MaxJsonBytes = 64L << 20;

    /// <summary>Upscaling a model may do in all: far above any real one, and low enough that sizes cannot overflow.</summary>
    const int MaxScale = 64;

    static KerasModel Build(JsonElement config, Dictionary<string, WeightShards.Entry> weights, string source)
    {
        var layers = new List<Layer>();
        var indexOf = new Dictionary<string, int>();
        foreach (var l in config.GetProperty("layers").EnumerateArray())
        {
            string name = l.GetProperty("name").GetString()!;
            var inputs = InboundNames(l).Select(n => indexOf.TryGetValue(n, out int i) ? i
                : throw new KerasFormatException($"{source}: layer '{name}' reads '{n}', which is not defined before it")).ToArray();
            var layer = Layer.Create(l.GetProperty("class_name").GetString()!, name, l.GetProperty("config"), inputs, weights, source);
            indexOf[name] = layers.Count;
            layers.Add(layer);
        }
        var inputLayers = config.GetProperty("input_layers").EnumerateArray().ToList();
        var outputLayers = config.GetProperty("output_layers").EnumerateArray().ToList();
        if (inputLayers.Count != 1 || outputLayers.Count != 1)
            throw new KerasFormatException($"{source}: models with {inputLayers.Count} inputs and {outputLayers.Count} outputs are not supported");
        if (outputLayers[0].GetArrayLength() == 0 || !indexOf.TryGetValue(outputLayers[0][0].GetString() ?? "", out int output))
            throw new KerasFormatException($"{source}: the output layer {outputLayers[0]} is not among the layers");

        // Scale and reach, propagated in topological (file) order.
        var scale = new int[layers.Count];
        var reach = new double[layers.Count];
        for (int i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            int s = layer.Inputs.Length == 0 ? 1 : scale[layer.Inputs[0]];
            double r = layer.Inputs.Length == 0 ? 0 : layer.Inputs.Max(j => reach[j]);
            if (layer.Inputs.Any(j => scale[j] != s))
                throw new KerasFormatException($"{source}: layer '{layer.Name}' merges inputs of different resolutions");
            r += layer.Reach / s;
            if ((long)s * layer.Upsampling > MaxScale)
                throw new KerasFormatException($"{source}: layer '{layer.Name}' brings the upscaling past x{MaxScale}");
            scale[i] = s * layer.Upsampling;
            reach[i] = r;
        }
        return new KerasModel(Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(source))) ?? "model",
            layers, output, scale[output], (int)Math.Ceiling(reach[output] - 1e-9));
    }

    static IEnumerable<string> InboundNames(JsonElement layer)
    {
        var nodes = layer.GetProperty("inbound_nodes");
        if (nodes.GetArrayLength() == 0) yield break;
        if (nodes.GetArrayLength() > 1)
            throw new KerasFormatException($"layer '{layer.GetProperty("name").GetString()}' is shared between several calls, which is not supported");
        foreach (var inbound in nodes[0].EnumerateArray())
            yield return inbound.GetArrayLength() > 0 ? inbound[0].GetString() ?? ""
                : throw new KerasFormatException($"layer '{layer.GetProperty("name").GetString()}' has an empty inbound node");
    }

    /// <summary>Bytes of activations alive at the peak of a forward pass, per input pixel (RGB input).</summary>
    public long PeakBytesPerInputPixel => 4 * (plan ?? InferencePlan.Build(layers, outputIndex, 3)).PeakFloatsPerInputPixel();

    /// <summary>FLOPs of one forward pass on an input of this size (multiply-adds times two, convolutions only).</summary>
    public double Flops(int height, int width)
    {
        double total = 0;
        var scale = new int[layers.Count];
        for (int i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            int s = layer.Inputs.Length == 0 ? 1 : scale[layer.Inputs[0]];
            if (layer is ConvLayer conv) total += 2.0 * conv.Weight.Length * (height * s) * (width * s);
            scale[i] = s * layer.Upsampling;
        }
        return total;
    }

    /// <summary>
    /// Runs the network on [1, C, H, W] (in the model's own value range) and returns [1, C', H*Scale, W*Scale].
    /// Inference only, on the kernels directly (see <see cref="InferencePlan"/>): concatenations cost nothing,
    /// activations and scalings run in place, and every buffer goes back to the pool as soon as its last reader
    /// has run, so memory stays near the few widest activations.
    /// </summary>
    public Tensor Forward(Tensor input)
    {
        if (input.Rank != 4 || input.Dim(0) != 1)
            throw new ArgumentException($"{Name}: input must be [1, C, H, W], got {input.ShapeString}");
        return (plan ??= InferencePlan.Build(layers, outputIndex, input.Dim(1))).Run(input);
    }

    InferencePlan? plan;

    // ---- layers ------------------------------------------------------------------------------------------

    internal abstract class Layer(string name, int[] inputs)
    {
        public string Name { get; } = name;
        public int[] Inputs { get; } = inputs;
        /// <summary>How far, in this layer's own pixels, an output reads from its input.</summary>
        public virtual double Reach => 0;
        public virtual int Upsampling => 1;
        /// <summary>Channels of this layer's output given its (first) input's; merges are handled by the plan.</summary>
        public virtual int OutputChannels(int inputChannels) => inputChannels;

        public static Layer Create(string className, string name, JsonElement c, int[] inputs,
            Dictionary<string, WeightShards.Entry> weights, string source)
        {
            switch (className)
            {
                case "InputLayer": return new InputLayer(name);
                case "Conv2D": return ConvLayer.Create(name, c, inputs, weights, source);
                case "Activation": return new ActivationLayer(name, inputs, ParseActivation(c.GetProperty("activation").GetString(), name));
                case "Concatenate":
                    int axis = c.TryGetProperty("axis", out var a) ? a.GetInt32() : -1;
                    if (axis is not (-1 or 3)) throw new KerasFormatException($"{source}: layer '{name}' concatenates on axis {axis}; only channels (-1) are supported");
                    return new ConcatLayer(name, inputs);
                case "Add": return new AddLayer(name, inputs);
                case "UpSampling2D":
                    var size = Ints(c.GetProperty("size"), 2, $"layer '{name}' size", source);
                    string interpolation = c.TryGetProperty("interpolation", out var ip) ? ip.GetString() ?? "nearest" : "nearest";
                    if (size[0] != size[1]) throw new KerasFormatException($"{source}: layer '{name}' upsamples unevenly ({size[0]}x{size[1]})");
                    if (size[0] is < 1 or > MaxScale) throw new KerasFormatException($"{source}: layer '{name}' upsamples by {size[0]}");
                    if (interpolation is not ("nearest" or "bilinear"))
                        throw new KerasFormatException($"{source}: layer '{name}' uses '{interpolation}' interpolation; nearest and bilinear are supported");
                    return new UpsampleLayer(name, inputs, size[0], interpolation == "bilinear");
                case "MultiplyBeta":
                    return new ScaleLayer(name, inputs, c.TryGetProperty("beta", out var b) ? b.GetSingle() : 0.2f);
            }
            if (className.StartsWith("PixelShuffle") && className.EndsWith('x') && int.TryParse(className[12..^1], out int r) && r is > 1 and <= MaxScale)
                return new PixelShuffleLayer(name, inputs, r);
            throw new KerasFormatException($"{source}: layer '{name}' is of type {className}, which Restora cannot run " +
                "(supported: InputLayer, Conv2D, Activation, Concatenate, Add, UpSampling2D, MultiplyBeta, PixelShuffle{r}x)");
        }
    }

    internal sealed class InputLayer(string name) : Layer(name, []);

    internal enum Activation { Linear, Relu, Sigmoid, Tanh }

    static Activation ParseActivation(string? name, string layer) => name switch
    {
        null or "linear" => Activation.Linear,
        "relu" => Activation.Relu,
        "sigmoid" => Activation.Sigmoid,
        "tanh" => Activation.Tanh,
        _ => throw new KerasFormatException($"layer '{layer}' uses activation '{name}'; linear, relu, sigmoid and tanh are supported"),
    };

    /// <summary>Activations in place on a span: every use here owns the values it changes.</summary>
    internal static void Activate(Activation a, Span<float> x)
    {
        switch (a)
        {
            case Activation.Relu: System.Numerics.Tensors.TensorPrimitives.Max(x, 0f, x); break;
            case Activation.Sigmoid: System.Numerics.Tensors.TensorPrimitives.Sigmoid(x, x); break;
            case Activation.Tanh: System.Numerics.Tensors.TensorPrimitives.Tanh(x, x); break;
        }
    }

    internal sealed class ConvLayer : Layer
    {
        /// <summary>OIHW, PyTorch's layout.</summary>
        public required float[] Weight { get; init; }
        public required float[]? Bias { get; init; }
        public required int InChannels { get; init; }
        public required int OutChannels { get; init; }
        public required int Kernel { get; init; }
        public required int Dilation { get; init; }
        public required int Padding { get; init; }
        public required Activation Activation { get; init; }

        ConvLayer(string name, int[] inputs) : base(name, inputs) { }

        public override double Reach => (Kernel - 1) / 2.0 * Dilation;

        public static ConvLayer Create(string name, JsonElement c, int[] inputs, Dictionary<string, WeightShards.Entry> weights, string source)
        {
            var k = Ints(c.GetProperty("kernel_size"), 2, $"layer '{name}' kernel_size", source);
            var strides = Ints(c.GetProperty("strides"), 2, $"layer '{name}' strides", source);
            var dilation = c.TryGetProperty("dilation_rate", out var d) ? Ints(d, 2, $"layer '{name}' dilation_rate", source) : [1, 1];
            string padding = c.GetProperty("padding").GetString() ?? "valid";
            int groups = c.TryGetProperty("groups", out var g) ? g.GetInt32() : 1;
            if (c.TryGetProperty("data_format", out var df) && df.GetString() != "channels_last")
                throw new KerasFormatException($"{source}: layer '{name}' uses data_format {df.GetString()}; only channels_last is supported");
            if (k[0] != k[1] || k[0] % 2 == 0 || strides.Any(s => s != 1) || dilation[0] != dilation[1] || groups != 1)
                throw new KerasFormatException($"{source}: layer '{name}' is a {k[0]}x{k[1]} conv with strides {strides[0]}x{strides[1]}, " +
                    $"dilation {dilation[0]}x{dilation[1]}, {groups} groups; only odd square kernels, stride 1, one group are supported");
            if (padding is not ("same" or "valid"))
                throw new KerasFormatException($"{source}: layer '{name}' has padding '{padding}'");
            if (padding == "valid" && k[0] != 1)
                throw new KerasFormatException($"{source}: layer '{name}' uses 'valid' padding, which shrinks the image; not supported");

            var kernel = weights.TryGetValue(name + "/kernel", out var kw) ? kw
                : throw new KerasFormatException($"{source}: no weights for '{name}/kernel'");
            // Keras stores HWIO; the engine wants OIHW (PyTorch's layout).
            if (kernel.Shape.Length != 4 || kernel.Shape[0] != k[0] || kernel.Shape[1] != k[1])
                throw new KerasFormatException($"{source}: '{name}/kernel' has shape [{string.Join(", ", kernel.Shape)}] for a {k[0]}x{k[1]} conv");
            int kh = kernel.Shape[0], kwid = kernel.Shape[1], cin = kernel.Shape[2], cout = kernel.Shape[3];
            var oihw = new float[cout * cin * kh * kwid];
            var dst = oihw.AsSpan();
            for (int y = 0; y < kh; y++)
                for (int x = 0; x < kwid; x++)
                    for (int i = 0; i < cin; i++)
                        for (int o = 0; o < cout; o++)
                            dst[((o * cin + i) * kh + y) * kwid + x] = kernel.Values[((y * kwid + x) * cin + i) * cout + o];
            float[]? bias = null;
            bool useBias = !c.TryGetProperty("use_bias", out var ub) || ub.GetBoolean();
            if (useBias)
            {
                var b = weights.TryGetValue(name + "/bias", out var bw) ? bw : throw new KerasFormatException($"{source}: no weights for '{name}/bias'");
                if (b.Values.Length != cout) throw new KerasFormatException($"{source}: '{name}/bias' has {b.Values.Length} values for {cout} filters");
                bias = b.Values;
            }
            return new ConvLayer(name, inputs)
            {
                Weight = oihw, Bias = bias, InChannels = cin, OutChannels = cout, Kernel = k[0], Dilation = dilation[0],
                Padding = padding == "same" ? k[0] / 2 * dilation[0] : 0,
                Activation = ParseActivation(c.TryGetProperty("activation", out var a) ? a.GetString() : "linear", name),
            };
        }

        public override int OutputChannels(int inputChannels) =>
            inputChannels == InChannels ? OutChannels
                : throw new KerasFormatException($"layer '{Name}' expects {InChannels} input channels, gets {inputChannels}");
    }

    internal sealed class ActivationLayer(string name, int[] inputs, Activation activation) : Layer(name, inputs)
    {
        public Activation Activation { get; } = activation;
    }

    internal sealed class ConcatLayer(string name, int[] inputs) : Layer(name, inputs);

    internal sealed class AddLayer(string name, int[] inputs) : Layer(name, inputs);

    internal sealed class UpsampleLayer(string name, int[] inputs, int factor, bool bilinear) : Layer(name, inputs)
    {
        public override int Upsampling => factor;
        // Bilinear reads one neighbour on each side at the input resolution.
        public override double Reach => bilinear ? 1 : 0;
        public Tensor Apply(Tensor x) => bilinear ? F.UpsampleBilinear(x, factor) : F.UpsampleNearest(x, factor);
    }

    internal sealed class ScaleLayer(string name, int[] inputs, float beta) : Layer(name, inputs)
    {
        public float Beta { get; } = beta;
    }

    internal sealed class PixelShuffleLayer(string name, int[] inputs, int factor) : Layer(name, inputs)
    {
        public override int Upsampling => factor;
        public override int OutputChannels(int inputChannels) => inputChannels % (factor * factor) == 0 ? inputChannels / (factor * factor)
            : throw new KerasFormatException($"layer '{Name}' cannot shuffle {inputChannels} channels by {factor}");
        public Tensor Apply(Tensor x) => F.PixelShuffle(x, factor, PixelShuffleOrder.DepthToSpace);
    }
}

public sealed class KerasFormatException(string message) : Exception(message);
