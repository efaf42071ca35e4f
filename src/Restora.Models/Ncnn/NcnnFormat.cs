using Restora.Models.Formats;

namespace Restora.Models.Ncnn;

/// <summary>
/// ncnn models: a <c>.param</c> graph with its <c>.bin</c> weights beside it. The family (and so the padding rules)
/// follows the file names the peers' programs use (<c>up2x-*</c> Real-CUGAN, <c>*scale2.0x_model</c> and
/// <c>noise*_model</c> waifu2x); anything else is taken as Real-ESRGAN, its scale found by running a small input.
/// </summary>
public sealed class NcnnFormat : IModelFormat
{
    /// <inheritdoc/>
    public string Name => "ncnn";
    /// <inheritdoc/>
    public string Description => "ncnn .param graph with its .bin weights beside it (Real-ESRGAN, Real-CUGAN, waifu2x)";
    /// <inheritdoc/>
    public IReadOnlyList<string> Extensions => [".param"];

    /// <inheritdoc/>
    public IRestorationModel Open(string path, Action<string>? log)
    {
        string bin = Path.ChangeExtension(path, ".bin");
        if (!File.Exists(bin)) throw new InvalidDataException($"{path}: its weights {Path.GetFileName(bin)} are not beside it");
        var network = NcnnNetwork.Load(path, bin);
        string file = Path.GetFileNameWithoutExtension(path);
        var family = FamilyOf(file, network);
        log?.Invoke($"{Path.GetFileName(path)}: {family.Kind} family, x{family.Scale}");
        var net = new NcnnPipelineNetwork(file, network, family, path);
        return new PipelineModel(net, family.Scale > 1 ? RestorationTask.SuperResolution : RestorationTask.Denoise, $"ncnn model {path}");
    }

    static NcnnFamily FamilyOf(string file, NcnnNetwork network)
    {
        if (file.StartsWith("up", StringComparison.Ordinal) && file.Length > 4 && file[3] == 'x' && char.IsDigit(file[2]))
            return NcnnFamily.RealCugan(file[2] - '0');
        if (file.EndsWith("scale2.0x_model", StringComparison.Ordinal))
            return network.LayerTypes.Contains("Pooling") ? NcnnFamily.Waifu2xCunet(2) : NcnnFamily.Waifu2xUpconv7();
        if (file.StartsWith("noise", StringComparison.Ordinal) && file.EndsWith("_model", StringComparison.Ordinal))
            return NcnnFamily.Waifu2xCunet(1);
        return NcnnFamily.RealEsrgan(ProbeScale(network));
    }

    /// <summary>The network's enlargement: output side over input side on a small input.</summary>
    static int ProbeScale(NcnnNetwork network)
    {
        const int side = 16;
        using var scope = new Restora.Core.TensorScope();
        var input = Restora.Core.Tensor.Empty(1, 3, side, side);
        input.Span.Clear();
        var output = network.Run(input);
        int scale = output.Dim(2) / side;
        if (scale < 1 || output.Dim(2) != side * scale || output.Dim(3) != side * scale)
            throw new InvalidDataException($"{network.InputName}: the network turns a {side}x{side} input into {output.Dim(3)}x{output.Dim(2)}, not a whole enlargement");
        return scale;
    }
}
