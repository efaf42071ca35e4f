using Restora.Core;
using Restora.Core.Nn;

namespace Restora.Models.Ncnn;

/// <summary>
/// An ncnn model (a <c>.param</c> graph and its <c>.bin</c> weights, as Real-ESRGAN, Real-CUGAN and waifu2x ship
/// them) run on Restora's engine in float32 (fp16 weights are widened when loaded).
/// <para>
/// Supported layers: Input, Convolution (fused ReLU, leaky ReLU, clip, sigmoid; stride, dilation, padding),
/// Deconvolution, Split, Concat (channels), Eltwise, BinaryOp (add, sub, mul, div; per-channel and scalar forms),
/// Interp (nearest, bicubic), PixelShuffle, PReLU, Pooling (global), InnerProduct, Crop and Scale. Anything else
/// is refused when the model is loaded, naming the layer.
/// </para>
/// <para>
/// A run frees every intermediate blob as soon as its last reader has run, and writes elementwise results over
/// inputs read for the last time, so memory stays at a few activations. A convolution whose only reader adds it
/// to another blob does the addition in its own pass.
/// </para>
/// </summary>
public sealed class NcnnNetwork
{
    readonly NcnnLayer[] layers;
    readonly int inputBlob;
    readonly int outputBlob;
    readonly int inputChannels;
    readonly int[] root;       // per blob: the blob whose tensor it is (a Split's outputs share their input's)
    readonly int[] reads;      // per root blob: how many layer inputs read it

    /// <summary>
    /// How many values one layer may make per input value. Restoration networks stay far below: Real-ESRGAN x4 holds
    /// 64 channels at 16 times the pixels of a 3-channel input (about 340 times its values), Real-CUGAN and waifu2x
    /// less; a layer past this is a file describing something else, or lying to exhaust memory.
    /// </summary>
    public const long MaxGrowth = 8192;

    /// <summary>The name of the blob the Input layer produces.</summary>
    public string InputName { get; }

    /// <summary>The name of the blob <see cref="Run"/> returns: the one no layer reads (the last such if several).</summary>
    public string OutputName { get; }

    /// <summary>Layer types in file order, one entry per layer (before any fusion).</summary>
    public IReadOnlyList<string> LayerTypes { get; }

    NcnnNetwork(NcnnLayer[] layers, int inputBlob, int outputBlob, int inputChannels, int[] root, int[] reads,
        string inputName, string outputName, IReadOnlyList<string> layerTypes)
    {
        this.layers = layers;
        this.inputBlob = inputBlob;
        this.outputBlob = outputBlob;
        this.inputChannels = inputChannels;
        this.root = root;
        this.reads = reads;
        InputName = inputName;
        OutputName = outputName;
        LayerTypes = layerTypes;
    }

    /// <summary>
    /// Reads a model. Both files are checked against each other and against their lengths; a malformed or
    /// unsupported model throws <see cref="InvalidDataException"/> with one line naming the file and the problem.
    /// </summary>
    public static NcnnNetwork Load(string paramPath, string binPath)
    {
        var param = NcnnParamFile.Load(paramPath);
        var weights = NcnnWeightReader.Open(binPath);
        return Build(param, weights);
    }

    internal static NcnnNetwork Build(NcnnParamFile param, NcnnWeightReader weights)
    {
        var blobIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var blobNames = new List<string>();
        var layers = new List<NcnnLayer>(param.Layers.Count);
        int[] Index(string[] names) => names.Select(n =>
        {
            if (blobIndex.TryGetValue(n, out int i)) return i;
            blobIndex[n] = blobNames.Count;
            blobNames.Add(n);
            return blobNames.Count - 1;
        }).ToArray();
        foreach (var spec in param.Layers)
        {
            var inputs = Index(spec.Inputs);
            var outputs = Index(spec.Outputs);
            layers.Add(NcnnLayerFactory.Create(spec, inputs, outputs, weights));
        }
        weights.CheckEnd();

        var inputLayers = layers.OfType<NcnnInput>().ToList();
        if (inputLayers.Count != 1)
            throw new InvalidDataException($"{param.Path}: the graph has {inputLayers.Count} Input layers; exactly one is supported");
        int inputBlob = inputLayers[0].Outputs[0];

        int blobs = blobNames.Count;
        var consumers = new int[blobs];
        foreach (var l in layers) foreach (int b in l.Inputs) consumers[b]++;
        int outputBlob = -1;
        foreach (var l in layers)
            foreach (int b in l.Outputs)
                if (consumers[b] == 0) outputBlob = b;
        if (outputBlob < 0) throw new InvalidDataException($"{param.Path}: every blob is read by some layer, so the graph has no output");

        var types = layers.Select(l => l.Type).ToList();
        var run = Fuse(layers, consumers);
        run.RemoveAll(l => l is NcnnInput);

        var root = Enumerable.Range(0, blobs).ToArray();
        foreach (var l in run)
            if (l is NcnnSplit)
                foreach (int b in l.Outputs) root[b] = root[l.Inputs[0]];
        var reads = new int[blobs];
        foreach (var l in run)
            if (l is not NcnnSplit)
                foreach (int b in l.Inputs) reads[root[b]]++;
        run.RemoveAll(l => l is NcnnSplit);
        return new NcnnNetwork([.. run], inputBlob, outputBlob, inputLayers[0].Channels, root, reads,
            blobNames[inputBlob], blobNames[outputBlob], types);
    }

    /// <summary>
    /// Folds each Convolution whose output has exactly one reader, a BinaryOp add or a two-input Eltwise sum, into
    /// that reader (see <see cref="NcnnConvolutionAdd"/>). The fused layer runs where the addition was.
    /// </summary>
    static List<NcnnLayer> Fuse(List<NcnnLayer> layers, int[] consumers)
    {
        var producer = new Dictionary<int, int>();
        for (int i = 0; i < layers.Count; i++) foreach (int b in layers[i].Outputs) producer[b] = i;
        var removed = new bool[layers.Count];
        var result = layers.ToArray();
        for (int m = 0; m < layers.Count; m++)
        {
            var merge = layers[m];
            bool add = merge is NcnnBinaryOp { Op: NcnnArithmetic.Add, Scalar: null } || merge is NcnnEltwise { Op: 1 } && merge.Inputs.Length == 2;
            if (!add || merge.Inputs.Length != 2 || merge.Inputs[0] == merge.Inputs[1]) continue;
            for (int side = 0; side < 2; side++)
            {
                int blob = merge.Inputs[side];
                if (consumers[blob] != 1 || !producer.TryGetValue(blob, out int c) || removed[c] || layers[c] is not NcnnConvolution conv) continue;
                float own = 1f, other = 1f;
                if (merge is NcnnEltwise e) { own = e.Coefficient(side); other = e.Coefficient(1 - side); }
                if (other != 1f || !(own > 0) || (own != 1f && !conv.Activation.PositivelyHomogeneous)) continue;
                var fused = own == 1f ? conv : Scaled(conv, own);
                result[m] = new NcnnConvolutionAdd
                {
                    Type = $"{conv.Type}+{merge.Type}", Name = $"{conv.Name}+{merge.Name}", Line = merge.Line,
                    Inputs = [conv.Inputs[0], merge.Inputs[1 - side]], Outputs = merge.Outputs,
                    Conv = fused, ConvSide = side, Merge = merge,
                };
                removed[c] = true;
                break;
            }
        }
        return result.Where((l, i) => !removed[i]).ToList();
    }

    /// <summary>The conv with weights and bias multiplied by <paramref name="factor"/> &gt; 0.</summary>
    static NcnnConvolution Scaled(NcnnConvolution conv, float factor)
    {
        var w = Tensor.Persistent([.. conv.Weight.Shape]);
        System.Numerics.Tensors.TensorPrimitives.Multiply(conv.Weight.ReadOnlySpan, factor, w.Span);
        Tensor? b = null;
        if (conv.Bias is not null)
        {
            b = Tensor.Persistent([.. conv.Bias.Shape]);
            System.Numerics.Tensors.TensorPrimitives.Multiply(conv.Bias.ReadOnlySpan, factor, b.Span);
        }
        return new NcnnConvolution
        {
            Type = conv.Type, Name = conv.Name, Line = conv.Line, Inputs = conv.Inputs, Outputs = conv.Outputs,
            Weight = w, Bias = b, Stride = conv.Stride, Dilation = conv.Dilation, Pad = conv.Pad, Activation = conv.Activation,
        };
    }

    /// <summary>
    /// Runs the graph on <paramref name="input"/> ([1, C, H, W], read only) and returns the output blob as a new
    /// pooled tensor [1, C', H', W'] that belongs to the caller's <see cref="TensorScope"/> (or to none).
    /// Records no gradient. A network may run on several threads at once: a run keeps its state to itself.
    /// </summary>
    public Tensor Run(Tensor input) => Run(input, [], -1);

    /// <summary>How many global average poolings the graph has (the squeeze-excitation means of Real-CUGAN and cunet).</summary>
    public int GlobalPoolings => layers.Count(l => l is NcnnGlobalPooling { Average: true });

    /// <summary>
    /// Runs the graph with the first <paramref name="means"/>.Count global average poolings (in file order) giving the
    /// means passed instead of their own input's, so a tile can be computed as part of a whole image. With
    /// <paramref name="stopAt"/> &gt;= 0 the run stops at that pooling and returns its input (the feature map whose
    /// whole-image mean the caller gathers over tiles); with -1 it returns the output.
    /// </summary>
    public Tensor Run(Tensor input, IReadOnlyList<float[]> means, int stopAt)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 4 || input.Dim(0) != 1)
            throw new ArgumentException($"ncnn: the input must be [1, C, H, W], got {input.ShapeString}");
        if (inputChannels > 0 && input.Dim(1) != inputChannels)
            throw new ArgumentException($"ncnn: the network reads {inputChannels} channels, got {input.ShapeString}");
        using var noGrad = Autograd.NoGrad();
        using var scope = new TensorScope();
        var tensors = new Tensor?[root.Length];
        var pending = (int[])reads.Clone();
        int inputRoot = root[inputBlob], outputRoot = root[outputBlob];
        tensors[inputRoot] = input;
        var x = new Tensor[8];
        var owned = new bool[8];
        int pooling = 0;
        foreach (var layer in layers)
        {
            if (layer is NcnnGlobalPooling { Average: true })
            {
                int index = pooling++;
                if (index == stopAt)
                {
                    var features = tensors[root[layer.Inputs[0]]]!;
                    Array.Clear(x);
                    return scope.Keep(ReferenceEquals(features, input) ? input.Clone() : features);
                }
                if (index < means.Count)
                {
                    int r = root[layer.Inputs[0]];
                    if (means[index].Length != tensors[r]!.Dim(1))
                        throw new ArgumentException($"ncnn {layer.Where}: {means[index].Length} means given for {tensors[r]!.Dim(1)} channels");
                    if (--pending[r] == 0 && r != inputRoot && r != outputRoot)
                    {
                        Inference.Release(tensors[r]!);
                        tensors[r] = null;
                    }
                    tensors[root[layer.Outputs[0]]] = Tensor.FromArray((float[])means[index].Clone(), 1, means[index].Length, 1, 1);
                    continue;
                }
            }
            int n = layer.Inputs.Length;
            if (x.Length < n) { x = new Tensor[n]; owned = new bool[n]; }
            for (int i = 0; i < n; i++)
            {
                int r = root[layer.Inputs[i]];
                x[i] = tensors[r] ?? throw new InvalidOperationException($"ncnn: blob of {layer.Where} was released before it was read");
                int uses = 0;
                foreach (int b in layer.Inputs) if (root[b] == r) uses++;
                owned[i] = uses == 1 && pending[r] == 1 && r != inputRoot && r != outputRoot;
            }
            // Checked before the layer allocates: a few lines of .param (a padding of 60000, resizes by 64 one after
            // another) would otherwise ask for gigabytes, on the first small input the model is opened with.
            long bound = layer.OutputBound(x.AsSpan(0, n));
            if (bound > MaxGrowth * Math.Max(input.Length, 64))
                throw new InvalidDataException($"ncnn {layer.Where} makes {bound} values of a {input.ShapeString} input, more than {MaxGrowth} times as many (not an image restoration network)");
            var y = layer.Forward(x.AsSpan(0, n), owned.AsSpan(0, n));
            foreach (int b in layer.Inputs)
            {
                int r = root[b];
                if (--pending[r] > 0 || r == inputRoot || r == outputRoot) continue;
                if (!ReferenceEquals(tensors[r], y)) Inference.Release(tensors[r]!);
                tensors[r] = null;
            }
            int o = root[layer.Outputs[0]];
            tensors[o] = y;
            if (pending[o] == 0 && o != outputRoot)
            {
                Inference.Release(y);
                tensors[o] = null;
            }
        }
        Array.Clear(x);
        var result = tensors[outputRoot]!;
        if (ReferenceEquals(result, input)) result = input.Clone();
        return scope.Keep(result);
    }
}
