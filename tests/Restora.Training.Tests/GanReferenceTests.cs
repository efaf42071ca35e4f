using Restora.Core;
using Restora.Core.Nn;
using Restora.Training.Adversarial;

namespace Restora.Training.Tests;

/// <summary>
/// GAN losses, spectral normalisation and the VGG perceptual and style losses against PyTorch 1.13
/// (Reference/gan_reference.py prints every value here): value i of an input is sin(0.37 i + offset)·scale.
/// </summary>
public class GanReferenceTests
{
    static Tensor Fill(double offset, double scale, params int[] shape) => Restora.TestSupport.SineFill.Make(offset, scale, shape);

    [Theory]
    [InlineData("vanilla", 1.8814898113038696, 0.8731824171119426)]
    [InlineData("lsgan", 4.963267998708838, 2.8790489682166527)]
    [InlineData("hinge", 2.5068950191770223, -0.10911320959316867)]
    [InlineData("ragan", 0.9653388515735606, 0.86790364041646)]
    public void EveryGanLossEqualsPyTorchsFormula(string name, double discriminator, double generator)
    {
        var real = Fill(0.1, 2, 2, 1, 3, 3);
        var fake = Fill(1.3, 2, 2, 1, 3, 3);
        var loss = GanLosses.Get(name);
        Assert.Equal(discriminator, loss.Discriminator(real, fake).Item(), 5);
        Assert.Equal(generator, loss.Generator(real, fake).Item(), 5);
    }

    [Fact]
    public void HingeLossByHand()
    {
        // real logits 2 and 0.5, fake -3 and 0: D = mean(relu(1-r)) + mean(relu(1+f)) = 0.25 + 0.5; G = -mean(f) = 1.5.
        var real = Tensor.FromArray([2f, 0.5f], 2, 1);
        var fake = Tensor.FromArray([-3f, 0f], 2, 1);
        var hinge = GanLosses.Get("hinge");
        Assert.Equal(0.75, hinge.Discriminator(real, fake).Item(), 6);
        Assert.Equal(1.5, hinge.Generator(real, fake).Item(), 6);
        // Vanilla by hand: softplus(-2)/2 + softplus(-0.5)/2 + softplus(-3)/2 + softplus(0)/2.
        double Softplus(double x) => Math.Log(1 + Math.Exp(x));
        Assert.Equal((Softplus(-2) + Softplus(-0.5)) / 2 + (Softplus(-3) + Softplus(0)) / 2, GanLosses.Get("vanilla").Discriminator(real, fake).Item(), 6);
    }

    [Fact]
    public void SpectralNormMatchesPyTorchsPowerIterationAndGradient()
    {
        var conv = new SpectralNormConv2d(3, 4, 3, 1, 1, bias: false);
        var state = conv.StateDict();
        Fill(0.2, 0.5, 4, 3, 3, 3).ReadOnlySpan.CopyTo(state["weight_orig"].Span);
        var u = Fill(0.7, 1, 4);
        var v = Fill(1.1, 1, 27);
        Normalize(u.Span);
        Normalize(v.Span);
        u.ReadOnlySpan.CopyTo(state["weight_u"].Span);
        v.ReadOnlySpan.CopyTo(state["weight_v"].Span);

        var y = conv.Forward(Fill(0.4, 1, 1, 3, 5, 5));
        float[] expectedY = [0.456324f, 1.291203f, 1.703478f, 1.885195f, 1.246997f, 1.402471f];
        for (int i = 0; i < expectedY.Length; i++) Assert.Equal(expectedY[i], y.ReadOnlySpan[i], 4);
        float[] expectedU = [0.518047f, -0.067135f, -0.404659f, 0.75058f];
        for (int i = 0; i < 4; i++) Assert.Equal(expectedU[i], state["weight_u"].ReadOnlySpan[i], 4);
        F.Sum(y).Backward();
        float[] expectedGrad = [1.101093f, 1.177327f, 0.898463f, 1.859365f, 2.022208f, 1.388786f];
        var grad = conv.Parameters().First().Grad!.ReadOnlySpan;
        for (int i = 0; i < expectedGrad.Length; i++) Assert.Equal(expectedGrad[i], grad[i], 4);
        Assert.Equal(["weight_orig", "weight_u", "weight_v"], conv.StateDict().Keys.Order());
    }

    static void Normalize(Span<float> x)
    {
        float n = System.Numerics.Tensors.TensorPrimitives.Norm(x);
        for (int i = 0; i < x.Length; i++) x[i] /= n;
    }

    [Fact]
    public void PerceptualAndStyleLossesOnAVggShapedNetworkMatchPyTorch()
    {
        // VGG-19 with every width divided by 16 and known weights: the same layers, keys and normalisation as the
        // torchvision network a user supplies.
        var vgg = new Vgg19Features(widthDivisor: 16);
        foreach (var (name, p) in vgg.NamedParameters())
        {
            int index = int.Parse(name.Split('.')[1]);
            var filled = name.EndsWith("weight") ? Fill(index * 0.1, 0.3, [.. p.Shape]) : Fill(index * 0.2, 0.05, [.. p.Shape]);
            filled.ReadOnlySpan.CopyTo(p.Span);
        }
        vgg.Eval();
        var output = F.Add(F.Mul(Fill(0.6, 1, 1, 3, 16, 16), 0.5f), 0.5f);
        var target = F.Add(F.Mul(Fill(2.1, 1, 1, 3, 16, 16), 0.5f), 0.5f);
        var loss = new PerceptualLoss(vgg, new Dictionary<string, double> { ["relu2_2"] = 0.5, ["conv3_4"] = 1.0 }, content: true, style: true);
        var (content, style) = loss.Compute(output, target);
        Assert.Equal(49.80888748168945, content!.Item(), 2);
        Assert.Equal(328.8421630859375, style!.Item(), 1);
    }

    [Fact]
    public void PerceptualLayersParseWithWeightsAndRejectNonsense()
    {
        Assert.Equal(new Dictionary<string, double> { ["conv5_4"] = 1 }, PerceptualLoss.ParseLayers("conv5_4"));
        Assert.Equal(0.1, PerceptualLoss.ParseLayers("conv1_2:0.1,conv5_4:1")["conv1_2"]);
        Assert.Throws<ArgumentException>(() => PerceptualLoss.ParseLayers("conv1_2:x"));
        var vgg = new Vgg19Features(widthDivisor: 16);
        var e = Assert.Throws<ArgumentException>(() => vgg.Extract(Tensor.Zeros(1, 3, 16, 16), new HashSet<string> { "conv9_9" }));
        Assert.Contains("conv9_9", e.Message);
    }
}
