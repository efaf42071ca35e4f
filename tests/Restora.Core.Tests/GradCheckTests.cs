using Restora.Core;
using static Restora.Core.Tests.GradCheck;

namespace Restora.Core.Tests;

/// <summary>Every op's backward against finite differences.</summary>
public class GradCheckTests
{
    [Fact] public void AddSameShape() => Check(x => F.Add(x[0], x[1]), [Rand(1, 2, 3, 4), Rand(2, 2, 3, 4)]);
    [Fact] public void AddPerChannel() => Check(x => F.Add(x[0], x[1]), [Rand(1, 2, 3, 4, 5), Rand(2, 1, 3, 1, 1)]);
    [Fact] public void AddBothBroadcast() => Check(x => F.Add(x[0], x[1]), [Rand(1, 3, 1), Rand(2, 1, 4)]);
    [Fact] public void SubBroadcast() => Check(x => F.Sub(x[0], x[1]), [Rand(1, 2, 3, 4), Rand(2, 4)]);
    [Fact] public void MulSameShape() => Check(x => F.Mul(x[0], x[1]), [Rand(1, 2, 3, 4), Rand(2, 2, 3, 4)]);
    [Fact] public void MulPerChannelWeights() => Check(x => F.Mul(x[0], x[1]), [Rand(1, 2, 3, 4, 5), Rand(2, 3, 1, 1)]);
    [Fact] public void MulPerSampleAndChannel() => Check(x => F.Mul(x[1], x[0]), [Rand(1, 2, 3, 4, 5), Rand(2, 2, 3, 1, 1)]);
    [Fact] public void MulScalar() => Check(x => F.Mul(x[0], 1.7f), [Rand(1, 2, 3)]);
    [Fact] public void AddScalar() => Check(x => F.Mul(F.Add(x[0], 0.5f), x[0]), [Rand(1, 2, 3)]);
    [Fact] public void SameInputUsedTwice() => Check(x => F.Mul(x[0], x[0]), [Rand(1, 2, 5)]);

    [Fact] public void SumAll() => Check(x => F.Sum(x[0]), [Rand(1, 2, 3, 4)]);
    [Fact] public void MeanAll() => Check(x => F.Mean(x[0]), [Rand(1, 2, 3, 4)]);
    [Fact] public void SumDims() => Check(x => F.Sum(x[0], [0, 2]), [Rand(1, 2, 3, 4, 2)]);
    [Fact] public void MeanDimsKeep() => Check(x => F.Mean(x[0], [-1, -2], keepDim: true), [Rand(1, 2, 3, 4, 2)]);
    [Fact] public void Reshape() => Check(x => F.Mul(F.Reshape(x[0], 3, -1), x[1]), [Rand(1, 2, 3, 2), Rand(2, 3, 1)]);

    [Fact] public void MseLoss() => Check(x => F.MseLoss(x[0], x[1]), [Rand(1, 2, 3, 4), Rand(2, 2, 3, 4)]);
    [Fact] public void L1Loss() => Check(x => F.L1Loss(F.Add(x[0], 2f), x[1]), [Rand(1, 2, 3, 4), Rand(2, 2, 3, 4)]);

    [Fact] public void Relu() => Check(x => F.Relu(x[0]), [RandAwayFromZero(1, 0.05f, 2, 3, 4, 4)]);
    [Fact] public void LeakyRelu() => Check(x => F.LeakyRelu(x[0], 0.2f), [RandAwayFromZero(1, 0.05f, 2, 3, 4, 4)]);
    [Fact] public void PreluPerChannel() => Check(x => F.Prelu(x[0], x[1]), [RandAwayFromZero(1, 0.05f, 2, 3, 4, 4), Rand(2, 3)]);
    [Fact] public void PreluShared() => Check(x => F.Prelu(x[0], x[1]), [RandAwayFromZero(1, 0.05f, 2, 3, 4, 4), Rand(2, 1)]);
    [Fact] public void Gelu() => Check(x => F.Gelu(F.Mul(x[0], 3f)), [Rand(1, 2, 3, 4, 4)]);
    [Fact] public void GeluTanh() => Check(x => F.Gelu(F.Mul(x[0], 3f), "tanh"), [Rand(1, 2, 3, 4, 4)]);
    [Fact] public void Sigmoid() => Check(x => F.Sigmoid(F.Mul(x[0], 3f)), [Rand(1, 2, 3, 4, 4)]);
    [Fact] public void Softplus() => Check(x => F.Softplus(F.Mul(x[0], 3f)), [Rand(1, 2, 3, 4, 4)]);
    [Fact] public void Reciprocal() => Check(x => F.Reciprocal(F.Add(x[0], 2f)), [Rand(1, 2, 3, 4)]);
    // Max pooling has a kink wherever two values of a window tie: the values are kept 0.05 apart (> 2 eps).
    [Fact] public void MaxPool2d() => Check(x => F.MaxPool2d(x[0], 2), [Spread(1, 2, 3, 6, 5)]);
    [Fact] public void MaxPool2dOverlappingPadded() => Check(x => F.MaxPool2d(x[0], 3, 2, 1), [Spread(1, 1, 2, 7, 6)]);
    [Fact] public void AvgPool2dPaddingNotCounted() => Check(x => F.AvgPool2d(x[0], 3, 2, 1, countIncludePad: false), [Rand(1, 2, 2, 7, 6)]);
    [Fact] public void AvgPool2dPaddingCounted() => Check(x => F.AvgPool2d(x[0], 3, 2, 1), [Rand(1, 1, 2, 5, 6)]);
    [Fact] public void Gram() => Check(x => F.Mul(F.Gram(x[0]), x[1]), [Rand(1, 2, 3, 4, 5), Rand(2, 2, 3, 3)]);
    [Fact] public void Tanh() => Check(x => F.Tanh(F.Mul(x[0], 2f)), [Rand(1, 2, 3, 4, 4)]);

    [Fact] public void Conv2d3x3Pad1Bias() => Check(x => F.Conv2d(x[0], x[1], x[2], padding: 1), [Rand(1, 2, 3, 5, 6), Rand(2, 4, 3, 3, 3), Rand(3, 4)]);
    [Fact] public void Conv2dStrideDilation() => Check(x => F.Conv2d(x[0], x[1], null, stride: 2, padding: 2, dilation: 2), [Rand(1, 1, 2, 7, 8), Rand(2, 3, 2, 3, 3)]);
    [Fact] public void Conv2dRectangularStrideAndPadding() =>
        Check(x => F.Conv2d(x[0], x[1], x[2], (2, 1), (0, 1), (1, 2), 1), [Rand(1, 2, 2, 7, 6), Rand(2, 3, 2, 3, 2), Rand(3, 3)]);
    [Fact] public void Conv2dGroups() => Check(x => F.Conv2d(x[0], x[1], x[2], padding: 1, groups: 2), [Rand(1, 2, 4, 5, 5), Rand(2, 6, 2, 3, 3), Rand(3, 6)]);
    [Fact] public void Conv2dDepthwise() => Check(x => F.Conv2d(x[0], x[1], x[2], padding: 1, groups: 3), [Rand(1, 2, 3, 5, 5), Rand(2, 3, 1, 3, 3), Rand(3, 3)]);

    [Fact] public void ConvTranspose2dStride2() =>
        Check(x => F.ConvTranspose2d(x[0], x[1], x[2], stride: 2, padding: 1, outputPadding: 1), [Rand(1, 2, 3, 4, 3), Rand(2, 3, 2, 3, 3), Rand(3, 2)]);
    [Fact] public void ConvTranspose2dGroupsDilation() =>
        Check(x => F.ConvTranspose2d(x[0], x[1], x[2], stride: 1, padding: 1, groups: 2, dilation: 2), [Rand(1, 1, 4, 4, 4), Rand(2, 4, 3, 3, 3), Rand(3, 6)]);
    [Fact] public void ConvTranspose2dKernel4Stride2() =>
        Check(x => F.ConvTranspose2d(x[0], x[1], null, stride: 2, padding: 1), [Rand(1, 1, 2, 3, 3), Rand(2, 2, 3, 4, 4)]);

    [Fact] public void PixelShufflePyTorch() => Check(x => F.PixelShuffle(x[0], 2), [Rand(1, 2, 8, 3, 2)]);
    [Fact] public void PixelShuffleDepthToSpace() => Check(x => F.PixelShuffle(x[0], 2, PixelShuffleOrder.DepthToSpace), [Rand(1, 2, 8, 3, 2)]);
    [Fact] public void PixelUnshufflePyTorch() => Check(x => F.PixelUnshuffle(x[0], 3), [Rand(1, 1, 2, 6, 3)]);
    [Fact] public void PixelUnshuffleDepthToSpace() => Check(x => F.PixelUnshuffle(x[0], 2, PixelShuffleOrder.DepthToSpace), [Rand(1, 2, 2, 4, 6)]);

    [Fact] public void UpsampleNearest2x() => Check(x => F.UpsampleNearest(x[0], 2), [Rand(1, 2, 2, 3, 4)]);
    [Fact] public void UpsampleNearestOddSize() => Check(x => F.UpsampleNearest(x[0], 7, 3), [Rand(1, 1, 2, 5, 4)]);
    [Fact] public void UpsampleBilinear() => Check(x => F.UpsampleBilinear(x[0], 2), [Rand(1, 2, 2, 3, 4)]);
    [Fact] public void UpsampleBilinearAlignCorners() => Check(x => F.UpsampleBilinear(x[0], 7, 5, alignCorners: true), [Rand(1, 1, 2, 3, 4)]);
    [Fact] public void DownsampleBilinear() => Check(x => F.UpsampleBilinear(x[0], 3, 2), [Rand(1, 1, 2, 7, 5)]);

    [Fact] public void CatChannels() => Check(x => F.Cat([x[0], x[1], x[0]]), [Rand(1, 2, 3, 2, 2), Rand(2, 2, 1, 2, 2)]);
    [Fact] public void NarrowChannels() => Check(x => F.Narrow(x[0], 1, 2), [Rand(1, 2, 4, 3, 2)]);
    [Fact] public void GlobalAvgPool() => Check(x => F.GlobalAvgPool2d(x[0]), [Rand(1, 2, 3, 4, 5)]);

    [Fact] public void BatchNormTraining() =>
        Check(x => F.BatchNorm2d(x[0], null, null, x[1], x[2], training: true), [Rand(1, 3, 2, 3, 4), Rand(2, 2), Rand(3, 2)]);
    [Fact] public void BatchNormEval()
    {
        var rm = Rand(4, 2);
        var rv = Tensor.FromArray([0.5f, 2f], 2);
        Check(x => F.BatchNorm2d(x[0], rm, rv, x[1], x[2], training: false), [Rand(1, 3, 2, 3, 4), Rand(2, 2), Rand(3, 2)]);
    }
    [Fact] public void InstanceNormAffine() =>
        Check(x => F.InstanceNorm2d(x[0], x[1], x[2]), [Rand(1, 2, 3, 3, 4), Rand(2, 3), Rand(3, 3)]);
    [Fact] public void InstanceNormPlain() => Check(x => F.InstanceNorm2d(x[0]), [Rand(1, 2, 3, 3, 4)]);

    [Fact]
    public void NetworkOfOps() =>
        Check(x => F.MseLoss(F.PixelShuffle(F.Conv2d(F.LeakyRelu(F.Conv2d(x[0], x[1], x[2], padding: 1), 0.1f), x[3], null, padding: 1), 2), x[4]),
            [Rand(1, 1, 2, 4, 4), Rand(2, 3, 2, 3, 3), Rand(3, 3), Rand(4, 4, 3, 3, 3), Rand(5, 1, 1, 8, 8)]);

    /// <summary>Distinct values 0.05 apart in a seeded order.</summary>
    static Tensor Spread(int seed, params int[] shape)
    {
        var t = Tensor.Zeros(shape);
        var values = Enumerable.Range(0, t.Length).Select(i => i * 0.05f - t.Length * 0.025f).ToArray();
        new Random(seed).Shuffle(values);
        values.CopyTo(t.Span);
        return t;
    }
}

public class GradCheckSelfTest
{
    /// <summary>The checker must reject a backward that is off by a little, or the tests above prove nothing.</summary>
    [Fact]
    public void RejectsAWrongBackward()
    {
        static Tensor Square(Tensor x)
        {
            var y = Tensor.Empty(x.ShapeArray);
            for (int i = 0; i < x.Length; i++) y.Span[i] = x.Span[i] * x.Span[i];
            if (!Autograd.Needs(x)) return y;
            return Autograd.Record(y, "bad_square", [x], g =>
            {
                var gx = Tensor.Empty(x.ShapeArray);
                for (int i = 0; i < x.Length; i++) gx.Span[i] = g.Span[i] * 2.1f * x.Span[i];
                Autograd.Accumulate(x, gx);
            });
        }
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => Check(x => Square(x[0]), [Rand(1, 3, 4)]));
    }
}
