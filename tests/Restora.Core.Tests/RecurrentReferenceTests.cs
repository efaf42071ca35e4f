using Restora.Core;
using Restora.Core.Nn;
using Restora.TestSupport;
using static Restora.Core.Tests.GradCheck;

namespace Restora.Core.Tests;

/// <summary>
/// LSTMCell and Huber loss against PyTorch 1.13 (Reference/recurrent_reference.py prints these numbers; tensor value i
/// is sin(0.37 i + offset)·scale, <see cref="SineFill"/>) and against finite differences.
/// </summary>
public class RecurrentReferenceTests
{
    // LSTMCell(3, 4), batch 2, three steps from a non-zero (h0, c0); h and c after each step.
    static readonly float[] H1 = [0.04030882f, -0.09801172f, -0.1181228f, -0.02301056f, -0.04406163f, -0.3593434f, -0.2519523f, -0.08678869f];
    static readonly float[] C1 = [0.07008549f, -0.1390116f, -0.2777197f, -0.147197f, -0.06398084f, -0.8371653f, -1.016661f, -0.3145708f];
    static readonly float[] H2 = [0.03514357f, -0.4124091f, -0.2394224f, -0.03903242f, -0.0004210626f, -0.2383827f, -0.3037764f, -0.1424355f];
    static readonly float[] C2 = [0.05045115f, -0.7909068f, -0.8709984f, -0.1908972f, -0.0008955505f, -0.7045754f, -0.9786487f, -0.3014747f];
    static readonly float[] H3 = [0.02987247f, -0.2681306f, -0.2974915f, -0.09924901f, -0.007929671f, -0.05762698f, -0.06083937f, -0.2310281f];
    static readonly float[] C3 = [0.05962056f, -0.7429649f, -0.971489f, -0.2274561f, -0.03760298f, -0.2879916f, -0.1229427f, -0.3130556f];
    // Gradients of loss = Σ_t Σ h_t·sin-fill(2.3 + t) + Σ c_3·sin-fill(3.1).
    static readonly float[] GradWeightIh = [-0.02119534f, -0.02404835f, -0.02364653f, 0.2697876f, 0.2084424f, 0.1188855f, 0.3067616f, 0.2867891f, 0.2280012f, 0.09556493f, 0.1075851f, 0.1050442f, 0.05119296f, 0.05957525f, 0.05989432f, 0.1291538f, -0.01172153f, -0.1510105f, 0.1200588f, -0.02360351f, -0.1640712f, 0.07781444f, 0.04524824f, 0.006557897f, -0.6441441f, -0.115907f, 0.4280174f, -0.1689524f, 0.1190604f, 0.3909589f, -0.3592463f, -0.1113222f, 0.1516689f, -1.153372f, -0.8173127f, -0.3706343f, 0.004137892f, 0.01153363f, 0.01736835f, 0.2935523f, 0.179538f, 0.04122404f, 0.4015064f, 0.2817684f, 0.1238944f, 0.1472186f, 0.1261416f, 0.08799185f];
    static readonly float[] GradWeightHh = [-0.006548834f, -0.004235124f, -0.01009001f, -0.01020986f, -0.008886771f, -0.08927558f, -0.069456f, -0.04729407f, 0.03543117f, -0.03600271f, -0.0243286f, -0.01342508f, 0.05617516f, 0.02558968f, 0.0233779f, 0.02322362f, 0.02533594f, 0.0147282f, 0.006871684f, -0.001479601f, 0.007547544f, -0.1444932f, -0.1274597f, -0.05657918f, -0.005989165f, -0.1568916f, -0.1308295f, -0.05258826f, -0.004989456f, -0.04276368f, -0.0364445f, -0.02063137f, 0.2010354f, 0.6481166f, 0.6072972f, 0.3971027f, 0.0950665f, 0.3324781f, 0.271201f, 0.1186338f, -0.05424856f, 0.2594106f, 0.224722f, 0.09072554f, -0.09426119f, 0.4213545f, 0.3396504f, 0.1493262f, 0.006971033f, 0.01036571f, 0.005339489f, 0.0003932689f, -0.0101155f, -0.1461643f, -0.1225274f, -0.07624745f, -0.007639705f, -0.1615891f, -0.1425675f, -0.09594563f, 0.001266257f, -0.0354289f, -0.034042f, -0.03115536f];
    static readonly float[] GradBias = [-0.003579083f, 0.2497132f, 0.2916655f, 0.1817516f, 0.087828f, 0.5176452f, 0.4618756f, 0.1164797f, -1.379006f, -0.6294557f, -1.087502f, -1.777644f, 0.0110113f, 0.4205284f, 0.5151557f, 0.1355308f];
    static readonly float[] GradX0 = [0.03541468f, -0.1013659f, -0.224427f, 0.06772182f, 0.08043284f, 0.08225767f];
    static readonly float[] GradX1 = [0.1706791f, 0.07474433f, -0.03130677f, 0.1592379f, 0.2513007f, 0.3093511f];
    static readonly float[] GradX2 = [0.438398f, 0.3076576f, 0.1352771f, 0.1067174f, 0.2243712f, 0.3116574f];
    static readonly float[] GradH0 = [-0.0716301f, 0.03691394f, 0.1404618f, 0.2249989f, 0.3126222f, 0.2299764f, 0.1162044f, -0.01329537f];
    static readonly float[] GradC0 = [0.1863766f, 0.1849084f, -0.2585008f, -0.4711588f, -0.2122385f, -0.2099707f, -0.2876181f, -0.382405f];
    static readonly float[] HuberGrad1 = [0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.07311567f, -0.0681532f, -0.1f];
    static readonly float[] HuberGrad15 = [0.1352811f, 0.15f, 0.15f, 0.15f, 0.15f, 0.15f, 0.15f, 0.07311567f, -0.0681532f, -0.15f];

    static void Near(float[] expected, ReadOnlySpan<float> actual, string what, double tolerance = 2e-6)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * (1 + Math.Abs(expected[i])), $"{what}[{i}]: {actual[i]} vs PyTorch {expected[i]}");
    }

    static LSTMCell ReferenceCell()
    {
        var cell = new LSTMCell(3, 4);
        SineFill.Make(0.1, 0.5, 16, 3).ReadOnlySpan.CopyTo(cell.WeightIh.Span);
        SineFill.Make(0.2, 0.5, 16, 4).ReadOnlySpan.CopyTo(cell.WeightHh.Span);
        SineFill.Make(0.3, 0.2, 16).ReadOnlySpan.CopyTo(cell.BiasIh!.Span);
        SineFill.Make(0.4, 0.2, 16).ReadOnlySpan.CopyTo(cell.BiasHh!.Span);
        return cell;
    }

    [Fact]
    public void LSTMCellParametersHavePyTorchNamesShapesAndInitBounds()
    {
        var cell = new LSTMCell(3, 4, rng: new Random(1));
        var p = cell.NamedParameters().ToArray();
        Assert.Equal(["weight_ih", "weight_hh", "bias_ih", "bias_hh"], p.Select(x => x.Name));
        Assert.Equal(["[16, 3]", "[16, 4]", "[16]", "[16]"], p.Select(x => x.Parameter.ShapeString));
        // U(±1/√H) for all four, H = 4: every value within 0.5, and the draws spread over most of the range.
        var all = p.SelectMany(x => x.Parameter.ToArray()).ToArray();
        Assert.All(all, v => Assert.InRange(v, -0.5f, 0.5f));
        Assert.True(all.Min() < -0.4f && all.Max() > 0.4f, $"init range [{all.Min()}, {all.Max()}] is narrower than U(-0.5, 0.5)");
    }

    [Fact]
    public void LSTMCellStatesAndGradientsOverThreeStepsMatchPyTorch()
    {
        var cell = ReferenceCell();
        var xs = Enumerable.Range(0, 3).Select(t => SineFill.Make(0.5 + t, 1, 2, 3)).ToArray();
        var h0 = SineFill.Make(1.7, 0.5, 2, 4);
        var c0 = SineFill.Make(1.9, 0.5, 2, 4);
        foreach (var x in xs) x.RequiresGrad = true;
        h0.RequiresGrad = true;
        c0.RequiresGrad = true;

        float[][] expectedH = [H1, H2, H3], expectedC = [C1, C2, C3];
        Tensor h = h0, c = c0, loss = Tensor.Zeros();
        for (int t = 0; t < 3; t++)
        {
            (h, c) = cell.Forward(xs[t], h, c);
            Near(expectedH[t], h.ReadOnlySpan, $"h{t + 1}");
            Near(expectedC[t], c.ReadOnlySpan, $"c{t + 1}");
            // Every step's h and the last c enter the loss, so gradients flow back along both paths through time.
            loss = F.Add(loss, F.Sum(F.Mul(h, SineFill.Make(2.3 + t, 1, 2, 4))));
        }
        loss = F.Add(loss, F.Sum(F.Mul(c, SineFill.Make(3.1, 1, 2, 4))));
        Assert.Equal(3.673423f, loss.Item(), 5);
        loss.Backward();

        Near(GradWeightIh, cell.WeightIh.Grad!.ReadOnlySpan, "weight_ih.grad");
        Near(GradWeightHh, cell.WeightHh.Grad!.ReadOnlySpan, "weight_hh.grad");
        // The two biases are added before anything else, so PyTorch gives them the same gradient.
        Near(GradBias, cell.BiasIh!.Grad!.ReadOnlySpan, "bias_ih.grad");
        Near(GradBias, cell.BiasHh!.Grad!.ReadOnlySpan, "bias_hh.grad");
        Near(GradX0, xs[0].Grad!.ReadOnlySpan, "x0.grad");
        Near(GradX1, xs[1].Grad!.ReadOnlySpan, "x1.grad");
        Near(GradX2, xs[2].Grad!.ReadOnlySpan, "x2.grad");
        Near(GradH0, h0.Grad!.ReadOnlySpan, "h0.grad");
        Near(GradC0, c0.Grad!.ReadOnlySpan, "c0.grad");
    }

    [Fact]
    public void LSTMCellUnrollEqualsSteppingOneStepAtATime()
    {
        var cell = ReferenceCell();
        var xs = Enumerable.Range(0, 3).Select(t => SineFill.Make(0.5 + t, 1, 2, 3)).ToArray();
        Tensor h = SineFill.Make(1.7, 0.5, 2, 4), c = SineFill.Make(1.9, 0.5, 2, 4);
        var (hs, lastC) = cell.Unroll(xs, h, c);
        Assert.Equal(3, hs.Length);
        for (int t = 0; t < 3; t++)
        {
            (h, c) = cell.Forward(xs[t], h, c);
            Assert.Equal(h.ToArray(), hs[t].ToArray());
        }
        Assert.Equal(c.ToArray(), lastC.ToArray());
        Near(H3, hs[2].ReadOnlySpan, "h3");
    }

    [Fact]
    public void LSTMCellSingleInputForwardStartsFromZeroState()
    {
        var cell = ReferenceCell();
        var x = SineFill.Make(0.5, 1, 2, 3);
        var (zh, zc) = cell.ZeroState(2);
        var expected = cell.Forward(x, zh, zc).H.ToArray();
        Assert.Equal(expected, cell.Forward(x).ToArray());
        Assert.Equal(cell.Unroll([x]).Hs[0].ToArray(), expected);
        // A zero state is not a trivial one: the step still moves h away from 0.
        Assert.Contains(expected, v => Math.Abs(v) > 1e-3);
    }

    [Fact]
    public void LSTMCellGradientsOverTwoStepsMatchFiniteDifferences()
    {
        var cell = new LSTMCell(3, 4, rng: new Random(5));
        var p = cell.Parameters().ToArray();
        // Inputs: two steps' x, the initial h and c, then the four parameters (the check perturbs them in place).
        Check(t =>
        {
            var (h1, c1) = cell.Forward(t[0], t[2], t[3]);
            var (h2, c2) = cell.Forward(t[1], h1, c1);
            return F.Cat([h1, h2, c2], 1);
        }, [Rand(1, 2, 3), Rand(2, 2, 3), Rand(3, 2, 4), Rand(4, 2, 4), p[0], p[1], p[2], p[3]]);
    }

    [Fact]
    public void LSTMCellRejectsMismatchedShapes()
    {
        var cell = new LSTMCell(3, 4, rng: new Random(1));
        var (h, c) = cell.ZeroState(2);
        Assert.Throws<ArgumentException>(() => cell.Forward(Tensor.Zeros(2, 5), h, c));
        Assert.Throws<ArgumentException>(() => cell.Forward(Tensor.Zeros(3, 3), h, c));
        Assert.Throws<ArgumentException>(() => cell.Forward(Tensor.Zeros(2, 3), h, Tensor.Zeros(2, 3)));
    }

    // Huber loss on 10 differences from -2.0 to 3.8: with delta 1 and 1.5, some inside the quadratic part, some
    // beyond +delta and one beyond -delta.
    static readonly float[] HuberDiffs = [1.3528f, 2.5609f, 3.4223f, 3.8205f, 3.7017f, 3.0819f, 2.0449f, 0.7312f, -0.6815f, -2.0020f];

    [Theory]
    [InlineData(1f, 1.848646f)]
    [InlineData(1.5f, 2.449075f)]
    public void HuberLossAndGradientMatchPyTorchOnBothSidesOfDelta(float delta, float expectedLoss)
    {
        var input = SineFill.Make(0.2, 3, 2, 5);
        var target = SineFill.Make(4.0, 1, 2, 5);
        var d = F.Sub(input, target).ToArray();
        Near(HuberDiffs, d, "input - target", 1e-4);
        Assert.Contains(d, v => Math.Abs(v) < delta);
        Assert.Contains(d, v => v > delta);
        Assert.Contains(d, v => v < -delta);

        input.RequiresGrad = true;
        target.RequiresGrad = true;
        var loss = F.HuberLoss(input, target, delta);
        Assert.Equal(expectedLoss, loss.Item(), 5);
        loss.Backward();
        var expectedGrad = delta == 1f ? HuberGrad1 : HuberGrad15;
        Near(expectedGrad, input.Grad!.ReadOnlySpan, "input.grad");
        Near(expectedGrad.Select(v => -v).ToArray(), target.Grad!.ReadOnlySpan, "target.grad");
    }

    [Fact]
    public void HuberLossGradientMatchesFiniteDifferences() =>
        Check(x => F.HuberLoss(F.Mul(x[0], 3f), x[1], 1.2f), [Rand(1, 2, 3, 4), Rand(2, 2, 3, 4)]);

    [Fact]
    public void HuberLossRejectsNonPositiveDeltaAndShapeMismatch()
    {
        Assert.Throws<ArgumentException>(() => F.HuberLoss(Tensor.Zeros(2), Tensor.Zeros(2), 0f));
        Assert.Throws<ArgumentException>(() => F.HuberLoss(Tensor.Zeros(2), Tensor.Zeros(3)));
    }
}
