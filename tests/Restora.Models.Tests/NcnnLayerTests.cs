using Restora.Core;
using Restora.Models.Ncnn;
using static Restora.Models.Tests.NcnnTest;

namespace Restora.Models.Tests;

/// <summary>
/// Every supported layer type in a one- or two-layer graph, against a plain scalar reference computed here (in
/// double, straight from the layer's definition in NCNN.md) or values worked out by hand.
/// </summary>
public class NcnnLayerTests
{
    // ---------- scalar references ----------

    static double Act(double v, int type, float[] p) => type switch
    {
        1 => Math.Max(v, 0),
        2 => v < 0 ? v * p[0] : v,
        3 => Math.Min(Math.Max(v, p[0]), p[1]),
        4 => 1 / (1 + Math.Exp(-v)),
        _ => v,
    };

    /// <summary>Convolution by its definition: weights [out][in][kh][kw], zero padding (top, left, bottom, right).</summary>
    static float[] ConvReference(float[] x, int c, int h, int w, float[] weight, float[]? bias, int outC, int kh, int kw,
        int sh, int sw, int dh, int dw, int top, int left, int bottom, int right, int act, float[] actParams, out int oh, out int ow)
    {
        oh = (h + top + bottom - dh * (kh - 1) - 1) / sh + 1;
        ow = (w + left + right - dw * (kw - 1) - 1) / sw + 1;
        var y = new float[outC * oh * ow];
        for (int o = 0; o < outC; o++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                {
                    double s = bias?[o] ?? 0;
                    for (int i = 0; i < c; i++)
                        for (int ky = 0; ky < kh; ky++)
                            for (int kx = 0; kx < kw; kx++)
                            {
                                int iy = oy * sh + ky * dh - top, ix = ox * sw + kx * dw - left;
                                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                                s += (double)x[(i * h + iy) * w + ix] * weight[((o * c + i) * kh + ky) * kw + kx];
                            }
                    y[(o * oh + oy) * ow + ox] = (float)Act(s, act, actParams);
                }
        return y;
    }

    /// <summary>Deconvolution by its definition: each input pixel scatters the kernel ([out][in][kh][kw]) at the
    /// stride into the full output, whose sides then lose the pads.</summary>
    static float[] DeconvReference(float[] x, int c, int h, int w, float[] weight, float[]? bias, int outC, int kh, int kw,
        int sh, int sw, int dh, int dw, int top, int left, int bottom, int right, int act, float[] actParams, out int oh, out int ow)
    {
        int fh = (h - 1) * sh + dh * (kh - 1) + 1, fw = (w - 1) * sw + dw * (kw - 1) + 1;
        var full = new double[outC * fh * fw];
        for (int o = 0; o < outC; o++)
            for (int i = 0; i < c; i++)
                for (int iy = 0; iy < h; iy++)
                    for (int ix = 0; ix < w; ix++)
                        for (int ky = 0; ky < kh; ky++)
                            for (int kx = 0; kx < kw; kx++)
                                full[(o * fh + iy * sh + ky * dh) * fw + ix * sw + kx * dw] +=
                                    (double)x[(i * h + iy) * w + ix] * weight[((o * c + i) * kh + ky) * kw + kx];
        oh = fh - top - bottom;
        ow = fw - left - right;
        var y = new float[outC * oh * ow];
        for (int o = 0; o < outC; o++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                    y[(o * oh + oy) * ow + ox] = (float)Act(full[(o * fh + oy + top) * fw + ox + left] + (bias?[o] ?? 0), act, actParams);
        return y;
    }

    static string ActKeys(int act, float[] p) => act == 0 ? "" : $" 9={act}" + (p.Length > 0 ? $" -23310={p.Length},{Join(p)}" : "");

    // ---------- Convolution ----------

    [Theory]
    // c, h, w, out, kh, kw, stride h/w, dilation h/w, pads top/left/bottom/right, bias, activation
    [InlineData(3, 7, 9, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, true, 0)]
    [InlineData(4, 8, 6, 5, 2, 2, 2, 2, 1, 1, 0, 0, 0, 0, true, 2)]      // Real-CUGAN's 2x2 stride-2 down conv, leaky
    [InlineData(2, 9, 11, 3, 3, 3, 1, 1, 2, 2, 2, 1, 3, 0, false, 1)]   // dilation, asymmetric padding, ReLU
    [InlineData(3, 6, 7, 2, 3, 1, 1, 2, 1, 1, 1, 0, 1, 0, true, 3)]     // 3x1 kernel, width stride 2, clip
    [InlineData(2, 5, 5, 3, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0, true, 4)]     // unpadded, sigmoid
    [InlineData(8, 6, 9, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, true, 2)]     // Winograd with fused leaky ReLU
    [InlineData(16, 10, 12, 16, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0, true, 1)] // Winograd, unpadded (upconv_7, Real-CUGAN)
    public void Convolution_matches_its_definition(int c, int h, int w, int outC, int kh, int kw, int sh, int sw, int dh, int dw,
        int top, int left, int bottom, int right, bool bias, int act)
    {
        float[] actParams = act switch { 2 => [0.1f], 3 => [-0.25f, 0.5f], _ => [] };
        int n = outC * c * kh * kw;
        var weight = RandomValues(n, 1, -0.5f, 0.5f);
        var b = bias ? RandomValues(outC, 2) : null;
        var x = RandomValues(c * h * w, 3);
        using var m = new TinyNcnn().Layer("Input in 0 1 data")
            .Layer($"Convolution conv 1 1 data out 0={outC} 1={kw} 11={kh} 2={dw} 12={dh} 3={sw} 13={sh} 4={left} 14={top} 15={right} 16={bottom} 5={(bias ? 1 : 0)} 6={n}{ActKeys(act, actParams)}")
            .Fp32(weight);
        if (b is not null) m.Raw(b);
        var expected = ConvReference(x, c, h, w, weight, b, outC, kh, kw, sh, sw, dh, dw, top, left, bottom, right, act, actParams, out int oh, out int ow);
        var (y, shape) = Run(m.Load(), x, c, h, w);
        Assert.Equal([1, outC, oh, ow], shape);
        AssertClose(expected, y);
    }

    // ---------- Deconvolution ----------

    [Theory]
    // c, h, w, out, k, stride, dilation, pads top/left/bottom/right, activation
    [InlineData(4, 5, 6, 3, 2, 2, 1, 0, 0, 0, 0, 2)]   // Real-CUGAN's 2x2 stride-2 up, leaky
    [InlineData(3, 6, 5, 3, 4, 2, 1, 3, 3, 3, 3, 0)]   // 4x4 stride 2 pad 3 (Real-CUGAN 2x, upconv_7)
    [InlineData(2, 4, 7, 3, 5, 3, 1, 2, 2, 2, 2, 0)]   // 5x5 stride 3 pad 2 (Real-CUGAN 3x)
    [InlineData(2, 4, 5, 2, 3, 2, 2, 0, 1, 1, 2, 1)]   // dilation, asymmetric trims, ReLU
    public void Deconvolution_matches_its_definition(int c, int h, int w, int outC, int k, int s, int d, int top, int left, int bottom, int right, int act)
    {
        float[] actParams = act == 2 ? [0.1f] : [];
        int n = outC * c * k * k;
        var weight = RandomValues(n, 4, -0.5f, 0.5f);
        var b = RandomValues(outC, 5);
        var x = RandomValues(c * h * w, 6);
        using var m = new TinyNcnn().Layer("Input in 0 1 data")
            .Layer($"Deconvolution up 1 1 data out 0={outC} 1={k} 2={d} 3={s} 4={left} 14={top} 15={right} 16={bottom} 5=1 6={n}{ActKeys(act, actParams)}")
            .Fp16(weight).Raw(b);
        // The weights went through fp16: the reference uses the same rounded values.
        var rounded = weight.Select(v => (float)(Half)v).ToArray();
        var expected = DeconvReference(x, c, h, w, rounded, b, outC, k, k, s, s, d, d, top, left, bottom, right, act, actParams, out int oh, out int ow);
        var (y, shape) = Run(m.Load(), x, c, h, w);
        Assert.Equal([1, outC, oh, ow], shape);
        AssertClose(expected, y);
    }

    // ---------- InnerProduct, Pooling ----------

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4)]
    public void InnerProduct_flattens_the_blob(int act)
    {
        // 2 channels of 2x3 = 12 inputs, 5 outputs.
        var weight = RandomValues(60, 7);
        var bias = RandomValues(5, 8);
        var x = RandomValues(12, 9);
        using var m = new TinyNcnn().Layer("Input in 0 1 data").Layer($"InnerProduct fc 1 1 data out 0=5 1=1 2=60 9={act}").Fp32(weight).Raw(bias);
        var (y, shape) = Run(m.Load(), x, 2, 2, 3);
        Assert.Equal([1, 5, 1, 1], shape);
        var expected = new float[5];
        for (int o = 0; o < 5; o++)
        {
            double s = bias[o];
            for (int i = 0; i < 12; i++) s += (double)weight[o * 12 + i] * x[i];
            expected[o] = (float)Act(s, act, []);
        }
        AssertClose(expected, y);
    }

    [Fact]
    public void Global_pooling_averages_or_takes_the_maximum()
    {
        float[] x = [1, 2, 3, 4, 5, 6, -1, -2, -3, -4, -5, -9];
        using var avg = new TinyNcnn().Layer("Input in 0 1 data").Layer("Pooling gap 1 1 data out 0=1 4=1");
        Assert.Equal([3.5f, -4f], Run(avg.Load(), x, 2, 2, 3).Values);
        using var max = new TinyNcnn().Layer("Input in 0 1 data").Layer("Pooling gmp 1 1 data out 0=0 4=1");
        Assert.Equal([6f, -1f], Run(max.Load(), x, 2, 2, 3).Values);
        using var local = new TinyNcnn().Layer("Input in 0 1 data").Layer("Pooling p 1 1 data out 0=0 1=2 2=2");
        Assert.Throws<InvalidDataException>(() => local.Load());
    }

    // ---------- BinaryOp, Eltwise, Scale ----------

    static float Arith(int op, float a, float b) => op switch { 0 => a + b, 1 => a - b, 2 => a * b, _ => a / b };

    /// <summary>A graph that splits the input into a C×H×W blob and a C-vector (its global average) and combines them.</summary>
    [Theory]
    [InlineData(0, "same")]
    [InlineData(1, "same")]
    [InlineData(2, "same")]
    [InlineData(3, "same")]
    [InlineData(1, "vector-first")]
    [InlineData(3, "vector-first")]
    [InlineData(1, "vector-second")]
    [InlineData(2, "vector-second")]
    [InlineData(3, "one-value")]
    public void BinaryOp_combines_same_shapes_and_per_channel_values(int op, string form)
    {
        const int c = 3, h = 2, w = 4;
        var x = RandomValues(c * h * w, 10, 0.5f, 2f);
        using var m = new TinyNcnn().Layer("Input in 0 1 data").Layer("Split sp 1 2 data a b");
        float[] other; // the second operand, per element of x
        switch (form)
        {
            case "same":
                m.Layer("BinaryOp half 1 1 b b2 0=2 1=1 2=-0.5").Layer($"BinaryOp op 2 1 a b2 out 0={op}");
                other = x.Select(v => v * -0.5f).ToArray();
                break;
            case "one-value":
                m.Layer("InnerProduct one 1 1 b g 0=1 1=1 2=24").Fp32(new float[24]).Raw(1.5f).Layer($"BinaryOp op 2 1 a g out 0={op}");
                other = [.. Enumerable.Repeat(1.5f, x.Length)];
                break;
            default:
                m.Layer("Pooling gap 1 1 b g 0=1 4=1");
                m.Layer(form == "vector-first" ? $"BinaryOp op 2 1 g a out 0={op}" : $"BinaryOp op 2 1 a g out 0={op}");
                other = new float[x.Length];
                for (int ch = 0; ch < c; ch++)
                {
                    float mean = (float)x.Skip(ch * h * w).Take(h * w).Average(v => (double)v);
                    for (int i = 0; i < h * w; i++) other[ch * h * w + i] = mean;
                }
                break;
        }
        var (y, shape) = Run(m.Load(), x, c, h, w);
        Assert.Equal([1, c, h, w], shape);
        var expected = new float[x.Length];
        for (int i = 0; i < x.Length; i++) expected[i] = form == "vector-first" ? Arith(op, other[i], x[i]) : Arith(op, x[i], other[i]);
        AssertClose(expected, y, 1e-5f);
    }

    [Theory]
    [InlineData(0, 2.5f)]
    [InlineData(1, 2.5f)]
    [InlineData(2, -3f)]
    [InlineData(3, 4f)]
    public void BinaryOp_with_a_scalar(int op, float b)
    {
        var x = RandomValues(12, 11);
        using var m = new TinyNcnn().Layer("Input in 0 1 data").Layer($"BinaryOp op 1 1 data out 0={op} 1=1 2={b.ToString("0.0##", System.Globalization.CultureInfo.InvariantCulture)}");
        var (y, _) = Run(m.Load(), x, 3, 2, 2);
        AssertClose(x.Select(v => Arith(op, v, b)).ToArray(), y, 1e-6f);
    }

    [Fact]
    public void BinaryOp_refuses_shapes_that_do_not_broadcast()
    {
        // 4 channels against a 3-vector.
        using var m = new TinyNcnn().Layer("Input in 0 1 data").Layer("Split sp 1 2 data a b")
            .Layer("InnerProduct fc 1 1 b v 0=3 2=144").Fp32(new float[144]).Layer("BinaryOp op 2 1 a v out 0=0");
        var net = m.Load();
        var e = Assert.Throws<ArgumentException>(() => Run(net, new float[12 * 4], 4, 3, 4));
        Assert.Contains("'op'", e.Message);
    }

    [Theory]
    [InlineData(0, "")]
    [InlineData(1, "")]
    [InlineData(1, " -23301=3,0.2,1.0,-2.0")]
    [InlineData(2, "")]
    public void Eltwise_of_three_inputs(int op, string coefficients)
    {
        var x = RandomValues(24, 12);
        using var m = new TinyNcnn().Layer("Input in 0 1 data").Layer("Split sp 1 3 data a b c")
            .Layer("PReLU p1 1 1 b b2 0=1").Raw(0.5f)
            .Layer("BinaryOp p2 1 1 c c2 0=2 1=1 2=-1.5")
            .Layer($"Eltwise e 3 1 a b2 c2 out 0={op}{coefficients}");
        var (y, _) = Run(m.Load(), x, 2, 3, 4);
        float[] k = coefficients == "" ? [1, 1, 1] : [0.2f, 1f, -2f];
        var expected = x.Select(v =>
        {
            float a = v, b = v < 0 ? 0.5f * v : v, c = -1.5f * v;
            return op switch { 0 => a * b * c, 1 => k[0] * a + k[1] * b + k[2] * c, _ => Math.Max(a, Math.Max(b, c)) };
        }).ToArray();
        AssertClose(expected, y, 1e-5f);
    }

    [Fact]
    public void Scale_multiplies_per_channel_by_a_second_blob_or_by_stored_data()
    {
        var x = RandomValues(3 * 2 * 2, 13, 0.1f, 1f);
        using var two = new TinyNcnn().Layer("Input in 0 1 data").Layer("Split sp 1 2 data a b")
            .Layer("Pooling gap 1 1 b g 0=1 4=1").Layer("Scale sc 2 1 a g out 0=-233");
        var (y, _) = Run(two.Load(), x, 3, 2, 2);
        var expected = new float[x.Length];
        for (int ch = 0; ch < 3; ch++)
        {
            float mean = (float)x.Skip(ch * 4).Take(4).Average(v => (double)v);
            for (int i = 0; i < 4; i++) expected[ch * 4 + i] = x[ch * 4 + i] * mean;
        }
        AssertClose(expected, y, 1e-5f);

        using var stored = new TinyNcnn().Layer("Input in 0 1 data").Layer("Scale sc 1 1 data out 0=3 1=1").Raw(2f, -1f, 0.5f).Raw(1f, 2f, 3f);
        (y, _) = Run(stored.Load(), x, 3, 2, 2);
        float[] s = [2f, -1f, 0.5f], bias = [1f, 2f, 3f];
        AssertClose(x.Select((v, i) => v * s[i / 4] + bias[i / 4]).ToArray(), y, 1e-6f);
    }

    [Fact]
    public void PRelu_with_one_slope_per_channel_or_one_for_all()
    {
        float[] x = [-1, 2, -3, 4, -5, 6];
        using var per = new TinyNcnn().Layer("Input in 0 1 data").Layer("PReLU p 1 1 data out 0=3").Raw(0.5f, 0.25f, 2f);
        Assert.Equal([-0.5f, 2f, -0.75f, 4f, -10f, 6f], Run(per.Load(), x, 3, 1, 2).Values);
        using var one = new TinyNcnn().Layer("Input in 0 1 data").Layer("PReLU p 1 1 data out 0=1").Raw(0.1f);
        Assert.Equal([-0.1f, 2f, -0.3f, 4f, -0.5f, 6f], Run(one.Load(), x, 3, 1, 2).Values);
    }

    // ---------- Concat, Crop, PixelShuffle ----------

    [Fact]
    public void Concat_joins_channels_in_order()
    {
        var x = RandomValues(2 * 2 * 3, 14);
        using var m = new TinyNcnn().Layer("Input in 0 1 data").Layer("Split sp 1 2 data a b")
            .Layer("BinaryOp neg 1 1 b nb 0=2 1=1 2=-1.0").Layer("Concat cat 3 1 nb a nb2 out 0=0")
            .Layer("Split sp2 1 1 x nb2");
        // The graph above reads a blob before it is produced: the reader refuses it.
        Assert.Throws<InvalidDataException>(() => m.Load());
        using var ok = new TinyNcnn().Layer("Input in 0 1 data").Layer("Split sp 1 3 data a b c")
            .Layer("BinaryOp neg 1 1 b nb 0=2 1=1 2=-1.0").Layer("Concat cat 3 1 nb a c out 0=0");
        var (y, shape) = Run(ok.Load(), x, 2, 2, 3);
        Assert.Equal([1, 6, 2, 3], shape);
        Assert.Equal(x.Select(v => -v).Concat(x).Concat(x).ToArray(), y);
    }

    [Fact]
    public void Crop_with_starts_ends_and_axes()
    {
        // 3 channels of 5x6, value = 100c + 10y + x.
        var x = new float[3 * 5 * 6];
        for (int c = 0; c < 3; c++) for (int yy = 0; yy < 5; yy++) for (int xx = 0; xx < 6; xx++) x[(c * 5 + yy) * 6 + xx] = 100 * c + 10 * yy + xx;
        using var hw = new TinyNcnn().Layer("Input in 0 1 data").Layer("Crop cr 1 1 data out -23309=2,1,2 -23310=2,-1,-1 -23311=2,-2,-1");
        var (y, shape) = Run(hw.Load(), x, 3, 5, 6);
        Assert.Equal([1, 3, 3, 3], shape);
        Assert.Equal([12f, 13f, 14f, 22f, 23f, 24f, 32f, 33f, 34f], y.Take(9));
        Assert.Equal(212f, y[18]);

        using var ch = new TinyNcnn().Layer("Input in 0 1 data").Layer("Crop cr 1 1 data out -23309=2,1,3 -23310=2,3,0 -23311=2,0,2");
        (y, shape) = Run(ch.Load(), x, 3, 5, 6);
        Assert.Equal([1, 2, 5, 3], shape);
        Assert.Equal([103f, 104f, 105f, 113f], y.Take(4));
        Assert.Equal(203f, y[15]);

        using var bad = new TinyNcnn().Layer("Input in 0 1 data").Layer("Crop cr 1 1 data out -23309=1,4 -23310=1,2 -23311=1,1");
        Assert.Contains("'cr'", Assert.Throws<ArgumentException>(() => Run(bad.Load(), x, 3, 5, 6)).Message);
    }

    [Fact]
    public void Crop_to_a_reference_blob_at_offsets()
    {
        var x = new float[2 * 6 * 7];
        for (int i = 0; i < x.Length; i++) x[i] = i;
        // The reference: a 2x2 stride-2 conv of the input, 2 channels of 3x3.
        using var m = new TinyNcnn().Layer("Input in 0 1 data").Layer("Split sp 1 2 data a b")
            .Layer("Convolution ref 1 1 b r 0=2 1=2 3=2 6=16").Fp32(new float[16])
            .Layer("Crop cr 2 1 a r out 0=2 1=1");
        var (y, shape) = Run(m.Load(), x, 2, 6, 7);
        Assert.Equal([1, 2, 3, 3], shape);
        Assert.Equal([9f, 10f, 11f, 16f, 17f, 18f, 23f, 24f, 25f], y.Take(9));
        Assert.Equal(42f + 9f, y[9]);
    }

    [Fact]
    public void PixelShuffle_uses_pytorchs_channel_order()
    {
        // 1 output channel, r = 2: input channel i·2 + j goes to offset (i, j).
        float[] x = [1, 2, 3, 4];
        using var m = new TinyNcnn().Layer("Input in 0 1 data").Layer("PixelShuffle ps 1 1 data out 0=2");
        var (y, shape) = Run(m.Load(), x, 4, 1, 1);
        Assert.Equal([1, 1, 2, 2], shape);
        Assert.Equal([1f, 2f, 3f, 4f], y);
        var big = RandomValues(8 * 2 * 3, 15);
        (y, _) = Run(m.Load(), big, 8, 2, 3);
        // Output channel 1, row 3 (source row 1, i = 1), column 4 (source column 2, j = 0): input channel 4 + 2 = 6.
        Assert.Equal(big[(6 * 2 + 1) * 3 + 2], y[(1 * 4 + 3) * 6 + 4]);
    }

    // ---------- Interp ----------

    [Fact]
    public void Interp_nearest_repeats_pixels()
    {
        float[] x = [1, 2, 3, 4, 5, 6];
        using var m = new TinyNcnn().Layer("Input in 0 1 data").Layer("Interp up 1 1 data out 0=1 1=2.0 2=3.0");
        var (y, shape) = Run(m.Load(), x, 1, 2, 3);
        Assert.Equal([1, 1, 4, 9], shape);
        Assert.Equal([1f, 1f, 1f, 2f, 2f, 2f, 3f, 3f, 3f], y.Take(9));
        Assert.Equal(y.Take(9), y.Skip(9).Take(9));
        Assert.Equal([4f, 4f, 4f, 5f, 5f, 5f, 6f, 6f, 6f], y.Skip(18).Take(9));
    }

    /// <summary>Keys' cubic convolution kernel with A = −0.75.</summary>
    static double Cubic(double d)
    {
        const double a = -0.75;
        d = Math.Abs(d);
        return d <= 1 ? ((a + 2) * d - (a + 3)) * d * d + 1 : d < 2 ? ((a * d - 5 * a) * d + 8 * a) * d - 4 * a : 0;
    }

    static double[] BicubicAxis(Func<int, double> at, int inSize, int outSize)
    {
        var r = new double[outSize];
        for (int o = 0; o < outSize; o++)
        {
            double f = (o + 0.5) * inSize / outSize - 0.5;
            int s = (int)Math.Floor(f);
            for (int j = s - 1; j <= s + 2; j++) r[o] += Cubic(f - j) * at(Math.Clamp(j, 0, inSize - 1));
        }
        return r;
    }

    [Theory]
    [InlineData(8, 12, "0.5", 4, 6)]   // animevideov3-x2's last layer
    [InlineData(8, 12, "0.75", 6, 9)]  // animevideov3-x3's
    [InlineData(3, 5, "2.0", 6, 10)]
    public void Interp_bicubic_matches_keys_kernel_with_clamped_taps(int h, int w, string scale, int oh, int ow)
    {
        var x = RandomValues(2 * h * w, 16);
        using var m = new TinyNcnn().Layer("Input in 0 1 data").Layer($"Interp down 1 1 data out 0=3 1={scale} 2={scale}");
        var (y, shape) = Run(m.Load(), x, 2, h, w);
        Assert.Equal([1, 2, oh, ow], shape);
        var expected = new float[2 * oh * ow];
        for (int c = 0; c < 2; c++)
        {
            var rows = new double[h][];
            for (int r = 0; r < h; r++) { int rr = r; rows[r] = BicubicAxis(i => x[(c * h + rr) * w + i], w, ow); }
            for (int q = 0; q < ow; q++)
            {
                var col = BicubicAxis(i => rows[i][q], h, oh);
                for (int r = 0; r < oh; r++) expected[(c * oh + r) * ow + q] = (float)col[r];
            }
        }
        AssertClose(expected, y, 1e-5f);
    }

    // ---------- the graph runner ----------

    [Fact]
    public void A_split_blob_read_by_in_place_layers_is_never_overwritten_early()
    {
        // x feeds a PReLU (which could work in place), an Eltwise and a BinaryOp; each must see the original x.
        var x = RandomValues(2 * 3 * 4, 17);
        using var m = new TinyNcnn().Layer("Input in 0 1 data")
            .Layer("BinaryOp copy 1 1 data x 0=2 1=1 2=1.0")
            .Layer("Split sp 1 3 x a b c")
            .Layer("PReLU p 1 1 a pa 0=1").Raw(0f)
            .Layer("Eltwise e 2 1 pa b s 0=1")
            .Layer("BinaryOp add 2 1 s c out 0=0");
        var (y, _) = Run(m.Load(), x, 2, 3, 4);
        AssertClose(x.Select(v => Math.Max(v, 0f) + 2 * v).ToArray(), y, 1e-6f);
    }

    [Fact]
    public void A_convolution_added_to_a_blob_is_fused_with_its_coefficient()
    {
        // out = 0.2·leaky(conv(x)) + x (Real-ESRGAN's dense block), and conv(x) + per-channel vector (a broadcast
        // residual, run unfused).
        const int c = 8, h = 5, w = 9;
        var weight = RandomValues(c * c * 9, 18, -0.3f, 0.3f);
        var bias = RandomValues(c, 19);
        var x = RandomValues(c * h * w, 20);
        using var m = new TinyNcnn().Layer("Input in 0 1 data").Layer("Split sp 1 2 data a b")
            .Layer($"Convolution conv 1 1 a k 0={c} 1=3 4=1 5=1 6={c * c * 9} 9=2 -23310=1,0.2").Fp32(weight).Raw(bias)
            .Layer("Eltwise sum 2 1 k b out 0=1 -23301=2,0.2,1.0");
        var conv = ConvReference(x, c, h, w, weight, bias, c, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2, [0.2f], out _, out _);
        var (y, _) = Run(m.Load(), x, c, h, w);
        AssertClose(conv.Select((v, i) => 0.2f * v + x[i]).ToArray(), y);

        using var vec = new TinyNcnn().Layer("Input in 0 1 data").Layer("Split sp 1 2 data a b")
            .Layer("Pooling gap 1 1 b g 0=1 4=1")
            .Layer($"Convolution conv 1 1 a k 0={c} 1=3 4=1 5=1 6={c * c * 9}").Fp32(weight).Raw(bias)
            .Layer("BinaryOp add 2 1 g k out 0=0");
        conv = ConvReference(x, c, h, w, weight, bias, c, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, [], out _, out _);
        (y, _) = Run(vec.Load(), x, c, h, w);
        AssertClose(conv.Select((v, i) => v + (float)x.Skip(i / (h * w) * h * w).Take(h * w).Average(t => (double)t)).ToArray(), y);
    }

    [Fact]
    public void The_output_is_the_blob_no_layer_reads_and_the_input_is_left_alone()
    {
        var x = RandomValues(6, 21);
        var copy = (float[])x.Clone();
        using var m = new TinyNcnn().Layer("Input in 0 1 data 2=2").Layer("PReLU p 1 1 data out 0=1").Raw(0.5f);
        var net = m.Load();
        Assert.Equal("data", net.InputName);
        Assert.Equal("out", net.OutputName);
        using var scope = new TensorScope();
        var input = Tensor.FromArray(x, 1, 2, 1, 3);
        net.Run(input);
        Assert.Equal(copy, input.ToArray());
        Assert.Throws<ArgumentException>(() => net.Run(Tensor.Zeros(1, 3, 1, 3)));
        Assert.Throws<ArgumentException>(() => net.Run(Tensor.Zeros(2, 2, 1, 3)));
    }

    // ---------- families ----------

    static int Bounce(int i, int n)
    {
        if (n == 1) return 0;
        while (i < 0 || i >= n) i = i < 0 ? -i : 2 * (n - 1) - i;
        return i;
    }

    [Fact]
    public void Family_padding_reflects_or_repeats_the_edge_and_rounds_sizes_up()
    {
        using var scope = new TensorScope();
        int h = 3, w = 4;
        var img = RandomValues(3 * h * w, 22, 0, 1);
        var rgb = Tensor.FromArray(img, 1, 3, h, w);

        var esrgan = NcnnFamily.RealEsrgan(4).Prepare(rgb);
        Assert.Equal([1, 3, 23, 24], esrgan.Shape);
        var cugan3 = NcnnFamily.RealCugan(3).Prepare(rgb); // 14 each side, 3 → 4 rows, 4 columns already a multiple of 4
        Assert.Equal([1, 3, 3 + 28 + 1, 4 + 28], cugan3.Shape);
        var cunet1 = NcnnFamily.Waifu2xCunet(1).Prepare(rgb);
        Assert.Equal([1, 3, 3 + 56 + 1, 4 + 56], cunet1.Shape);
        for (int c = 0; c < 3; c++)
            for (int r = 0; r < 23; r++)
                for (int q = 0; q < 24; q++)
                    Assert.Equal(img[(c * h + Bounce(r - 10, h)) * w + Bounce(q - 10, w)], esrgan[0, c, r, q]);
        for (int r = 0; r < cugan3.Dim(2); r++)
            Assert.Equal(img[Bounce(r - 14, h) * w + Bounce(0 - 14, w)], cugan3[0, 0, r, 0]);
        for (int r = 0; r < cunet1.Dim(2); r++)
            for (int q = 0; q < cunet1.Dim(3); q++)
                Assert.Equal(img[(2 * h + Math.Clamp(r - 28, 0, h - 1)) * w + Math.Clamp(q - 28, 0, w - 1)], cunet1[0, 2, r, q]);
    }

    [Fact]
    public void Family_output_is_rounded_clamped_and_cropped()
    {
        using var scope = new TensorScope();
        var rgb = Tensor.Full(100f / 255f, 1, 3, 1, 1);
        // Real-CUGAN 2x keeps the top-left 2x2 of a larger output.
        var output = Tensor.Zeros(1, 3, 3, 3);
        float[] first = [0.49f / 255, 0.6f / 255, 254.4f / 255, 2f];
        output[0, 0, 0, 0] = first[0];
        output[0, 0, 0, 1] = first[1];
        output[0, 0, 1, 0] = first[2];
        output[0, 0, 1, 1] = first[3];
        output[0, 1, 0, 0] = -1f;
        output[0, 2, 0, 0] = float.NaN;
        var y = NcnnFamily.RealCugan(2).Finish(output, rgb);
        Assert.Equal([1, 3, 2, 2], y.Shape);
        Assert.Equal([0f, 1f, 254f, 255f], y.ToArray().Take(4).Select(v => MathF.Round(v * 255)));
        Assert.Equal(0f, y[0, 1, 0, 0]);
        Assert.Equal(0f, y[0, 2, 0, 0]);

        // Real-CUGAN 4x adds the input (100) to v·255 + 0.5.
        var out4 = Tensor.Full(-10.2f / 255, 1, 3, 4, 4);
        var y4 = NcnnFamily.RealCugan(4).Finish(out4, rgb);
        Assert.All(y4.ToArray(), v => Assert.Equal(90f, MathF.Round(v * 255)));

        // Real-ESRGAN keeps the padding and crops 10·scale from the top left.
        var outE = Tensor.Zeros(1, 3, 21 * 2, 21 * 2);
        outE[0, 0, 20, 20] = 1f;
        var yE = NcnnFamily.RealEsrgan(2).Finish(outE, rgb);
        Assert.Equal([1, 3, 2, 2], yE.Shape);
        Assert.Equal(1f, yE[0, 0, 0, 0]);
        Assert.Throws<ArgumentException>(() => NcnnFamily.RealEsrgan(4).Finish(outE, rgb));
    }

    [Fact]
    public void Family_upscale_lines_the_output_up_with_the_image()
    {
        // A stand-in network: nearest x4 of whatever it gets (Real-ESRGAN keeps the padding in its output) and,
        // for the families whose networks trim their padding, a crop of it first.
        var image = new Restora.Imaging.Image(5, 3, Restora.Imaging.PixelLayout.Rgb);
        var v = RandomValues(45, 23, 0, 1);
        for (int i = 0; i < v.Length; i++) image.Data[i] = MathF.Round(v[i] * 255) / 255;
        using var esrgan = new TinyNcnn().Layer("Input in 0 1 data").Layer("Interp up 1 1 data out 0=1 1=4.0 2=4.0");
        var up = NcnnFamily.RealEsrgan(4).Upscale(esrgan.Load(), image);
        using var cugan = new TinyNcnn().Layer("Input in 0 1 data")
            .Layer("Crop cr 1 1 data c -23309=2,18,18 -23310=2,-18,-18 -23311=2,-2,-1").Layer("Interp up 1 1 c out 0=1 1=2.0 2=2.0");
        var up2 = NcnnFamily.RealCugan(2).Upscale(cugan.Load(), image);
        Assert.Equal((20, 12), (up.Width, up.Height));
        Assert.Equal((10, 6), (up2.Width, up2.Height));
        for (int c = 0; c < 3; c++)
            for (int r = 0; r < 12; r++)
                for (int q = 0; q < 20; q++)
                {
                    Assert.Equal(image.Data[(c * 3 + r / 4) * 5 + q / 4], up.Data[(c * 12 + r) * 20 + q], 1e-6f);
                    if (r < 6 && q < 10) Assert.Equal(image.Data[(c * 3 + r / 2) * 5 + q / 2], up2.Data[(c * 6 + r) * 10 + q], 1e-6f);
                }
    }
}
