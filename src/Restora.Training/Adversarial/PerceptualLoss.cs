using System.Globalization;
using Restora.Core;
using Restora.Core.Nn;
using Restora.Core.Serialization;

namespace Restora.Training.Adversarial;

/// <summary>
/// VGG-19's convolutional part as torchvision builds it (keys features.N.weight/bias, N the index in its
/// <c>features</c> Sequential), run up to the deepest requested layer. Layers are named as in the literature:
/// conv3_4 is the 4th conv of block 3 (before its ReLU, as ESRGAN takes it), relu3_4 after, pool3 the max pooling.
/// ImageNet weights cannot be downloaded here: they come from the user's own file.
/// </summary>
public sealed class Vgg19Features : Module
{
    static readonly int[] Widths = [64, 64, -1, 128, 128, -1, 256, 256, 256, 256, -1, 512, 512, 512, 512, -1, 512, 512, 512, 512, -1];

    readonly List<(string Name, Module Layer)> layers = [];

    /// <param name="widthDivisor">Builds a narrower network of the same shape (tests use small known weights).</param>
    public Vgg19Features(int widthDivisor = 1, Random? rng = null)
    {
        var features = new Sequential();
        int input = 3, block = 1, conv = 1;
        foreach (int w in Widths)
        {
            if (w < 0)
            {
                layers.Add(($"pool{block}", Add(features, new MaxPool2d(2))));
                block++;
                conv = 1;
                continue;
            }
            int width = w / widthDivisor;
            layers.Add(($"conv{block}_{conv}", Add(features, new Conv2d(input, width, 3, 1, 1, rng: rng))));
            layers.Add(($"relu{block}_{conv}", Add(features, new ReLU())));
            input = width;
            conv++;
        }
        RegisterModule("features", features);
    }

    static Module Add(Sequential s, Module m)
    {
        s.Add(m);
        return m;
    }

    /// <summary>The whole convolutional part (through pool5), on images in 0..1.</summary>
    public override Tensor Forward(Tensor input) => Extract(input, new HashSet<string> { "pool5" })["pool5"];

    /// <summary>Every layer name, in order.</summary>
    public IEnumerable<string> LayerNames => layers.Select(l => l.Name);

    /// <summary>The outputs of the named layers for images in 0..1 (normalised with ImageNet's mean and std first).</summary>
    public Dictionary<string, Tensor> Extract(Tensor images, IReadOnlySet<string> wanted)
    {
        foreach (var w in wanted)
            if (!layers.Any(l => l.Name == w)) throw new ArgumentException($"VGG-19 has no layer '{w}' (layers: conv1_1 … conv5_4, relu…, pool1 … pool5)");
        var mean = Tensor.FromArray([0.485f, 0.456f, 0.406f], 1, 3, 1, 1);
        var invStd = Tensor.FromArray([1 / 0.229f, 1 / 0.224f, 1 / 0.225f], 1, 3, 1, 1);
        var x = F.Mul(F.Sub(images, mean), invStd);
        var result = new Dictionary<string, Tensor>();
        foreach (var (name, layer) in layers)
        {
            x = layer.Forward(x);
            if (wanted.Contains(name)) result[name] = x;
            if (result.Count == wanted.Count) break;
        }
        return result;
    }

    /// <summary>Loads torchvision's vgg19 weights (a full model's state dict or just its features.*) from a .pth or .safetensors file.</summary>
    public static Vgg19Features Load(string path)
    {
        IReadOnlyDictionary<string, Tensor> tensors = path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase)
            ? SafeTensors.Load(path).Tensors
            : Restora.Models.PyTorch.PyTorchCheckpoint.Read(path);
        var vgg = new Vgg19Features();
        var features = tensors.Where(kv => kv.Key.StartsWith("features.", StringComparison.Ordinal)).ToDictionary(kv => kv.Key, kv => kv.Value);
        if (features.Count == 0) throw new InvalidDataException($"{path}: no features.N tensors (expected torchvision's vgg19 state dict)");
        try { vgg.LoadStateDict(features); }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or KeyNotFoundException)
        {
            throw new InvalidDataException($"{path}: not torchvision's vgg19: {e.Message}", e);
        }
        foreach (var p in vgg.Parameters()) p.RequiresGrad = false;
        vgg.Eval();
        return vgg;
    }
}

/// <summary>Max pooling as a layer (torch.nn.MaxPool2d with stride = kernel).</summary>
public sealed class MaxPool2d(int kernel) : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.MaxPool2d(input, kernel);
}

/// <summary>
/// Perceptual (content) and style losses on VGG-19 features (Johnson et al.; SRGAN, ESRGAN, EnhanceNet's texture
/// loss), as BasicSR's PerceptualLoss: per layer, L1 between the output's and the target's features (content) and
/// between their Gram matrices (style), weighted by the layer's weight and summed.
/// </summary>
public sealed class PerceptualLoss(Vgg19Features vgg, IReadOnlyDictionary<string, double> layerWeights, bool content, bool style)
{
    /// <summary>Parses "conv5_4" or "conv1_2:0.1,conv5_4:1" into layer weights.</summary>
    public static Dictionary<string, double> ParseLayers(string text)
    {
        var result = new Dictionary<string, double>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var bits = part.Split(':');
            double weight = 1;
            if (bits.Length > 2 || bits.Length == 2 && !double.TryParse(bits[1], NumberStyles.Float, CultureInfo.InvariantCulture, out weight))
                throw new ArgumentException($"--perceptual-layers: '{part}' is not LAYER or LAYER:WEIGHT");
            result[bits[0]] = weight;
        }
        if (result.Count == 0) throw new ArgumentException("--perceptual-layers names no layer");
        return result;
    }

    /// <summary>The content and style losses (each null when not asked for).</summary>
    public (Tensor? Content, Tensor? Style) Compute(Tensor output, Tensor target)
    {
        var wanted = layerWeights.Keys.ToHashSet();
        var fo = vgg.Extract(output, wanted);
        Dictionary<string, Tensor> ft;
        using (Autograd.NoGrad()) ft = vgg.Extract(target, wanted);
        Tensor? c = null, s = null;
        foreach (var (layer, weight) in layerWeights)
        {
            if (content)
            {
                var term = F.Mul(F.L1Loss(fo[layer], ft[layer]), (float)weight);
                c = c is null ? term : F.Add(c, term);
            }
            if (style)
            {
                var term = F.Mul(F.L1Loss(F.Gram(fo[layer]), F.Gram(ft[layer])), (float)weight);
                s = s is null ? term : F.Add(s, term);
            }
        }
        return (c, s);
    }
}
