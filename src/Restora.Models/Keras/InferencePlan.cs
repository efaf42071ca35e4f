using System.Buffers;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using Restora.Core;
using Restora.Core.Kernels;
using static Restora.Models.Keras.KerasModel;

namespace Restora.Models.Keras;

/// <summary>
/// Where every activation of a Keras graph lives during inference, decided once per model, then run on the
/// conv kernels directly. Three things make the dense blocks of RDN/RRDN cheap:
/// <list type="bullet">
/// <item>A concatenation owns one buffer, and the values it joins are computed straight into their channel
/// range of it (an NCHW batch-1 tensor's channels are contiguous), so a chain concat(concat(x, a), b) costs no
/// copy at all.</item>
/// <item>An activation or a scaling whose input has no other reader runs in place.</item>
/// <item>A buffer goes back to the pool when the last read of every value in it is done.</item>
/// </list>
/// Values that cannot be placed (the network input, a value two concatenations want) are copied instead.
/// </summary>
internal sealed class InferencePlan
{
    readonly List<Layer> layers;
    readonly int output;
    readonly int[] channels;   // per value
    readonly int[] scale;      // per value: its resolution relative to the input
    readonly int[] root;       // the value whose storage this one shares (itself unless computed in place)
    readonly int[] group;      // the value that owns the buffer this value's storage is in
    readonly int[] offset;     // channel offset of this value inside its group's buffer
    readonly int[] readers;    // how many layer inputs read each value

    static readonly ArrayPool<float> Pool = ArrayPool<float>.Create(maxArrayLength: 1 << 28, maxArraysPerBucket: 64);

    InferencePlan(List<Layer> layers, int output, int[] channels, int[] scale, int[] root, int[] group, int[] offset, int[] readers)
    {
        this.layers = layers;
        this.output = output;
        this.channels = channels;
        this.scale = scale;
        this.root = root;
        this.group = group;
        this.offset = offset;
        this.readers = readers;
    }

    public static InferencePlan Build(List<Layer> layers, int output, int inputChannels)
    {
        int n = layers.Count;
        var channels = new int[n];
        var scale = new int[n];
        var readers = new int[n];
        for (int i = 0; i < n; i++)
        {
            var l = layers[i];
            foreach (int j in l.Inputs) readers[j]++;
            int s = l.Inputs.Length == 0 ? 1 : scale[l.Inputs[0]];
            scale[i] = s * l.Upsampling;
            channels[i] = l switch
            {
                InputLayer => inputChannels,
                ConcatLayer => l.Inputs.Sum(j => channels[j]),
                AddLayer when l.Inputs.Any(j => channels[j] != channels[l.Inputs[0]]) =>
                    throw new KerasFormatException($"layer '{l.Name}' adds tensors of {string.Join(", ", l.Inputs.Select(j => channels[j]))} channels"),
                _ => l.OutputChannels(channels[l.Inputs[0]]),
            };
        }

        // In place: an activation or scaling may overwrite its input when nothing else reads it.
        var root = Enumerable.Range(0, n).ToArray();
        for (int i = 0; i < n; i++)
        {
            var l = layers[i];
            if (l is ActivationLayer or ScaleLayer && readers[l.Inputs[0]] == 1 && layers[root[l.Inputs[0]]] is not InputLayer)
                root[i] = root[l.Inputs[0]];
        }

        // Concatenations, outermost first, claim buffer ranges for the values they join.
        var group = Enumerable.Repeat(-1, n).ToArray();
        var offset = new int[n];
        for (int i = n - 1; i >= 0; i--)
        {
            if (layers[i] is not ConcatLayer || root[i] != i) continue;
            if (group[i] < 0) group[i] = i;
            int at = offset[i];
            foreach (int j in layers[i].Inputs)
            {
                int r = root[j];
                if (group[r] < 0 && layers[r] is not InputLayer)
                {
                    group[r] = group[i];
                    offset[r] = at;
                }
                at += channels[j];
            }
        }
        for (int i = 0; i < n; i++)
        {
            if (root[i] != i) { group[i] = group[root[i]]; offset[i] = offset[root[i]]; }
            else if (group[i] < 0) group[i] = i;
        }
        return new InferencePlan(layers, output, channels, scale, root, group, offset, readers);
    }

    /// <summary>
    /// The most floats alive at once during <see cref="Run"/>, per input pixel: the buffers are allocated and
    /// freed exactly as a run does, so this is the real peak, not a guess (plus the returned copy of the output).
    /// </summary>
    public long PeakFloatsPerInputPixel()
    {
        int n = layers.Count;
        var pendingReads = new int[n];
        for (int i = 0; i < n; i++) pendingReads[group[i]] += readers[i];
        var allocated = new bool[n];
        long live = 0, peak = 0;
        long Size(int g) => (long)channels[g] * scale[g] * scale[g];
        for (int i = 0; i < n; i++)
        {
            if (root[i] == i && !allocated[group[i]]) { allocated[group[i]] = true; live += Size(group[i]); }
            long temporary = layers[i] is UpsampleLayer or PixelShuffleLayer ? Size(layers[i].Inputs[0]) + (long)channels[i] * scale[i] * scale[i] : 0;
            peak = Math.Max(peak, live + temporary);
            foreach (int j in layers[i].Inputs)
                if (--pendingReads[group[j]] == 0 && group[j] != group[output] && allocated[group[j]])
                {
                    allocated[group[j]] = false;
                    live -= Size(group[j]);
                }
        }
        return Math.Max(peak, live + Size(output));
    }

    public Tensor Run(Tensor input)
    {
        int n = layers.Count;
        int h0 = input.Dim(2), w0 = input.Dim(3);
        if (input.Dim(1) != channels[layers.FindIndex(l => l is InputLayer)])
            throw new ArgumentException($"the network reads {channels[layers.FindIndex(l => l is InputLayer)]} channels, got {input.ShapeString}");
        var buffers = new float[]?[n];
        // Reads still to come from each buffer; it returns to the pool at zero.
        var pendingReads = new int[n];
        for (int i = 0; i < n; i++) pendingReads[group[i]] += readers[i];
        try
        {
            for (int i = 0; i < n; i++)
            {
                var layer = layers[i];
                int h = h0 * scale[i], w = w0 * scale[i];
                if (root[i] == i && buffers[group[i]] is null)
                    buffers[group[i]] = Pool.Rent(channels[group[i]] * h * w);
                var dst = Slice(buffers, i, h * w);
                Compute(layer, i, dst, input, buffers, h0, w0);
                foreach (int j in layer.Inputs)
                    if (--pendingReads[group[j]] == 0 && group[j] != group[output]) Release(buffers, group[j]);
            }
            int ho = h0 * scale[output], wo = w0 * scale[output];
            return Tensor.FromArray(Slice(buffers, output, ho * wo), 1, channels[output], ho, wo);
        }
        finally
        {
            for (int g = 0; g < n; g++) Release(buffers, g);
        }
    }

    Span<float> Slice(float[]?[] buffers, int value, int plane) =>
        buffers[group[value]].AsSpan(offset[value] * plane, channels[value] * plane);

    static void Release(float[]?[] buffers, int g)
    {
        if (buffers[g] is { } b) Pool.Return(b);
        buffers[g] = null;
    }

    void Compute(Layer layer, int i, Span<float> dst, Tensor input, float[]?[] buffers, int h0, int w0)
    {
        int[] inputs = layer.Inputs;
        int plane = h0 * scale[i] * w0 * scale[i];
        ReadOnlySpan<float> In(int k) => Slice(buffers, inputs[k], h0 * scale[inputs[k]] * w0 * scale[inputs[k]]);
        switch (layer)
        {
            case InputLayer:
                input.ReadOnlySpan.CopyTo(dst);
                break;
            case ConvLayer conv:
            {
                int h = h0 * scale[i], w = w0 * scale[i];
                var shape = new Conv2dShape(1, conv.InChannels, h, w, conv.OutChannels, conv.Kernel, conv.Kernel,
                    PadH: conv.Padding, PadW: conv.Padding, DilationH: conv.Dilation, DilationW: conv.Dilation);
                // 3x3 convs as Winograd F(4x4, 3x3): a quarter of the multiply-adds, the same values to float rounding.
                if (Winograd.Pays(shape)) Winograd.Forward(shape, In(0), conv.Weight, conv.Bias, dst);
                else Conv2d.Forward(shape, In(0), conv.Weight, conv.Bias, dst);
                Activate(conv.Activation, dst);
                break;
            }
            case ActivationLayer act:
                if (root[i] != i) Activate(act.Activation, dst); // in place: dst is the input
                else { In(0).CopyTo(dst); Activate(act.Activation, dst); }
                break;
            case ScaleLayer s:
                TensorPrimitives.Multiply(root[i] != i ? dst : In(0), s.Beta, dst);
                break;
            case AddLayer:
                TensorPrimitives.Add(In(0), In(1), dst);
                for (int k = 2; k < inputs.Length; k++) TensorPrimitives.Add(dst, In(k), dst);
                break;
            case ConcatLayer:
            {
                // Inputs computed into their place already are skipped; the rest are copied in.
                int at = 0;
                for (int k = 0; k < inputs.Length; k++)
                {
                    int j = inputs[k];
                    if (group[j] != group[i] || offset[j] != offset[i] + at) In(k).CopyTo(dst.Slice(at * plane));
                    at += channels[j];
                }
                break;
            }
            case UpsampleLayer up:
                Through(In(0), channels[inputs[0]], h0 * scale[inputs[0]], w0 * scale[inputs[0]], up.Apply, dst);
                break;
            case PixelShuffleLayer ps:
                Through(In(0), channels[inputs[0]], h0 * scale[inputs[0]], w0 * scale[inputs[0]], ps.Apply, dst);
                break;
            default:
                throw new InvalidOperationException($"no inference step for layer '{layer.Name}'");
        }
    }

    /// <summary>Rare resampling layers (one per network) go through the engine's tensor ops.</summary>
    static void Through(ReadOnlySpan<float> x, int c, int h, int w, Func<Tensor, Tensor> op, Span<float> dst)
    {
        using var noGrad = Autograd.NoGrad();
        using var t = Tensor.FromArray(x, 1, c, h, w);
        using var y = op(t);
        y.ReadOnlySpan.CopyTo(dst);
    }
}
