namespace Restora.Core.Tests;

/// <summary>
/// Forward values and input gradients of single ops against PyTorch 1.13 on the same inputs (Reference/ops.safetensors),
/// which pins down semantics that finite differences cannot: channel orders, interpolation grids, biased variances.
/// </summary>
public class PyTorchOpsTests
{
    static readonly Dictionary<string, Func<Tensor[], Tensor>> Ops = new()
    {
        ["conv2d_groups_dilation"] = x => F.Conv2d(x[0], x[1], x[2], stride: 2, padding: 2, dilation: 2, groups: 2),
        ["conv_transpose2d"] = x => F.ConvTranspose2d(x[0], x[1], x[2], stride: 2, padding: 1, outputPadding: 1, groups: 2),
        ["pixel_shuffle"] = x => F.PixelShuffle(x[0], 2),
        ["pixel_unshuffle"] = x => F.PixelUnshuffle(x[0], 2),
        ["depth_to_space"] = x => F.PixelShuffle(x[0], 2, PixelShuffleOrder.DepthToSpace),
        ["space_to_depth"] = x => F.PixelUnshuffle(x[0], 2, PixelShuffleOrder.DepthToSpace),
        ["nearest_7x3"] = x => F.UpsampleNearest(x[0], 7, 3),
        ["nearest_x2"] = x => F.UpsampleNearest(x[0], 2),
        ["bilinear_x2"] = x => F.UpsampleBilinear(x[0], 2),
        ["bilinear_7x5"] = x => F.UpsampleBilinear(x[0], 7, 5),
        ["bilinear_align_7x5"] = x => F.UpsampleBilinear(x[0], 7, 5, alignCorners: true),
        ["bilinear_down_3x2"] = x => F.UpsampleBilinear(x[0], 3, 2),
        ["gelu"] = x => F.Gelu(F.Mul(x[0], 3f)),
        ["gelu_tanh"] = x => F.Gelu(F.Mul(x[0], 3f), "tanh"),
        ["sigmoid"] = x => F.Sigmoid(F.Mul(x[0], 4f)),
        ["tanh"] = x => F.Tanh(F.Mul(x[0], 2f)),
        ["leaky_relu"] = x => F.LeakyRelu(x[0], 0.2f),
        ["prelu"] = x => F.Prelu(x[0], x[1]),
        ["global_avg_pool"] = x => F.GlobalAvgPool2d(x[0]),
        ["batch_norm_train"] = x => F.BatchNorm2d(x[0], null, null, x[1], x[2], training: true),
        ["instance_norm"] = x => F.InstanceNorm2d(x[0], x[1], x[2]),
        ["mul_per_channel"] = x => F.Mul(x[0], x[1]),
        ["mse_loss"] = x => F.MseLoss(x[0], x[1]),
    };

    public static TheoryData<string> Cases => [.. Ops.Keys];

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesPyTorch(string name)
    {
        var refs = ReferenceData.Ops;
        var inputs = new List<Tensor>();
        for (int i = 0; refs.ContainsKey($"{name}.in{i}"); i++)
        {
            var t = refs[$"{name}.in{i}"].Clone();
            t.RequiresGrad = true;
            inputs.Add(t);
        }
        Assert.NotEmpty(inputs);
        var y = Ops[name]([.. inputs]);
        ReferenceData.AssertClose(refs[$"{name}.out"], y, 2e-6, 2e-5, $"{name} output");
        y.Backward(refs[$"{name}.gout"]);
        for (int i = 0; i < inputs.Count; i++)
            ReferenceData.AssertClose(refs[$"{name}.gin{i}"], inputs[i].Grad!, 1e-5, 1e-4, $"{name} gradient of input {i}");
    }

    [Fact]
    public void BatchNormRunningStatisticsMatchPyTorch()
    {
        var refs = ReferenceData.Ops;
        var rm = refs["bn_running.mean0"].Clone();
        var rv = refs["bn_running.var0"].Clone();
        F.BatchNorm2d(refs["bn_running.in"], rm, rv, null, null, training: true, momentum: 0.1f);
        ReferenceData.AssertClose(refs["bn_running.mean1"], rm, 1e-6, 1e-5, "running mean");
        ReferenceData.AssertClose(refs["bn_running.var1"], rv, 1e-6, 1e-5, "running var");
    }
}
