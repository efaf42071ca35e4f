using Restora.Models.Ncnn;

namespace Restora.Models.Tests;

/// <summary>The .param and .bin readers on small files written here: every storage tag, array keys, and files
/// that are truncated, oversized or inconsistent (each a one-line <see cref="InvalidDataException"/>).</summary>
public class NcnnReaderTests
{
    static NcnnParamFile Parse(string text) => NcnnParamFile.Parse(text, "test.param");

    static InvalidDataException ParseError(string text) => Assert.Throws<InvalidDataException>(() => Parse(text));

    static void AssertOneLine(Exception e, params string[] mentions)
    {
        Assert.DoesNotContain('\n', e.Message);
        foreach (var m in mentions) Assert.Contains(m, e.Message);
    }

    [Fact]
    public void Scalars_and_arrays_are_read_with_their_types()
    {
        var f = Parse("7767517\r\n2 2\r\nInput in 0 1 data 0=8 1=4 2=3\r\n" +
                      "Convolution conv 1 1 data out 0=4 1=3 4=1 5=1 6=108 9=2 -23310=1,1.000000e-01 -23313=3,4,-4,2 -23311=2,0.5,2 18=2.5\r\n");
        Assert.Equal(2, f.Layers.Count);
        var p = f.Layers[1].Params;
        Assert.Equal(4, p.Int(0, 0));
        Assert.Equal(3, p.Int(14, 3));
        Assert.Equal(7, p.Int(12, 7));
        Assert.Equal(0.1f, p.Floats(10)[0]);
        Assert.Equal([4, -4, 2], p.Ints(13));
        Assert.Equal([0.5f, 2f], p.Floats(11));
        Assert.Throws<InvalidDataException>(() => p.Ints(11));
        Assert.Equal(2.5f, p.Float(18, 0));
        Assert.Throws<InvalidDataException>(() => p.Int(18, 0));
        Assert.Equal(["data"], f.Layers[1].Inputs);
        Assert.Equal(["out"], f.Layers[1].Outputs);
        Assert.Equal(4, f.Layers[1].Line);
    }

    [Theory]
    [InlineData("7767518\n1 1\nInput in 0 1 data\n", "magic")]
    [InlineData("", "magic")]
    [InlineData("7767517\n1\nInput in 0 1 data\n", "layers blobs")]
    [InlineData("7767517\n5 1\nInput in 0 1 data\n", "5 layers declared")]
    [InlineData("7767517\n2000000000 1\nInput in 0 1 data\n", "2000000000 layers declared")]
    [InlineData("7767517\n1 1\nInput in 0 1 data\nInput in2 0 1 data2\n", "more layer lines")]
    [InlineData("7767517\n1 3\nInput in 0 1 data\n", "3 blobs declared")]
    [InlineData("7767517\n1 1\nInput in 0 9 data\n", "declares 0 inputs and 9 outputs")]
    [InlineData("7767517\n1 1\nInput in -1 1 data\n", "declares -1 inputs")]
    [InlineData("7767517\n2 2\nInput in 0 1 data\nReLU r 1 1 nothing out\n", "reads blob 'nothing'")]
    [InlineData("7767517\n2 1\nInput in 0 1 data\nReLU r 1 1 data data\n", "already produced")]
    [InlineData("7767517\n2 2\nInput in 0 1 data\nInput in 0 1 data2\n", "used twice")]
    [InlineData("7767517\n1 1\nInput in 0 1 data 0=abc\n", "not a number")]
    [InlineData("7767517\n1 1\nInput in 0 1 data 40=1\n", "outside 0..31")]
    [InlineData("7767517\n1 1\nInput in 0 1 data 0=1 0=2\n", "given twice")]
    [InlineData("7767517\n1 1\nInput in 0 1 data -23310=3,1,2\n", "says 3 values and holds 2")]
    [InlineData("7767517\n1 1\nInput in 0 1 data -23310=2000000000,1\n", "says 2000000000 values")]
    [InlineData("7767517\n1 1\nInput in 0 1 data junk\n", "not a key=value")]
    public void Malformed_param_files_are_refused_on_one_line(string text, string mention)
    {
        var e = ParseError(text);
        AssertOneLine(e, "test.param", mention);
    }

    [Fact]
    public void An_unknown_layer_type_names_the_type_and_the_layer()
    {
        using var m = new TinyNcnn().Layer("Input in 0 1 data").Layer("Softmax mysoftmax 1 1 data out");
        var e = Assert.Throws<InvalidDataException>(() => m.Load());
        AssertOneLine(e, "Softmax", "mysoftmax", "model.param");
    }

    [Fact]
    public void An_unsupported_key_with_a_value_is_refused_and_a_zero_one_is_accepted()
    {
        using (var m = new TinyNcnn().Layer("Input in 0 1 data").Layer("Convolution c 1 1 data out 0=1 1=1 6=1 8=0").Fp32(2f))
            m.Load();
        using (var m = new TinyNcnn().Layer("Input in 0 1 data").Layer("Convolution c 1 1 data out 0=1 1=1 6=1 8=2").Fp32(2f))
            AssertOneLine(Assert.Throws<InvalidDataException>(() => m.Load()), "key 8", "'c'");
        using (var m = new TinyNcnn().Layer("Input in 0 1 data").Layer("Convolution c 1 1 data out 0=1 1=1 4=-233 6=1").Fp32(2f))
            AssertOneLine(Assert.Throws<InvalidDataException>(() => m.Load()), "automatic padding");
        using (var m = new TinyNcnn().Layer("Input in 0 1 data").Layer("Convolution c 1 1 data out 0=1 1=1 6=1 9=5").Fp32(2f))
            AssertOneLine(Assert.Throws<InvalidDataException>(() => m.Load()), "activation type 5");
    }

    static float[] Weights(TinyNcnn m, long count, out NcnnWeightKind kind)
    {
        var r = new NcnnWeightReader(m.BinBytes, "test.bin");
        var w = r.ReadTagged(count, "block", out kind);
        r.CheckEnd();
        return w;
    }

    [Fact]
    public void Every_storage_tag_decodes()
    {
        using var fp32 = new TinyNcnn().Fp32(1.5f, -2f, 3e-8f);
        Assert.Equal([1.5f, -2f, 3e-8f], Weights(fp32, 3, out var k32));
        Assert.Equal(NcnnWeightKind.Float32, k32);

        using var alt = new TinyNcnn().Fp32AltTag(0.25f);
        Assert.Equal([0.25f], Weights(alt, 1, out var kAlt));
        Assert.Equal(NcnnWeightKind.Float32, kAlt);

        // Three fp16 values take 6 bytes, padded to 8.
        using var fp16 = new TinyNcnn().Fp16(0.5f, -1.25f, 6.1035156e-05f);
        Assert.Equal(4 + 8, fp16.BinBytes.Length);
        Assert.Equal([0.5f, -1.25f, 6.1035156e-05f], Weights(fp16, 3, out var k16));
        Assert.Equal(NcnnWeightKind.Float16, k16);

        // fp16 subnormal, infinity and the largest finite value widen exactly.
        using var edge = new TinyNcnn().Fp16((float)BitConverter.UInt16BitsToHalf(1), float.PositiveInfinity, 65504f);
        Assert.Equal([(float)BitConverter.UInt16BitsToHalf(1), float.PositiveInfinity, 65504f], Weights(edge, 3, out _));

        using var int8 = new TinyNcnn().Int8(-128, 0, 5, 127, -1);
        Assert.Equal(4 + 8, int8.BinBytes.Length);
        Assert.Equal([-128f, 0f, 5f, 127f, -1f], Weights(int8, 5, out var k8));
        Assert.Equal(NcnnWeightKind.Int8, k8);

        var table = Enumerable.Range(0, 256).Select(i => i * 0.5f - 7f).ToArray();
        using var quantized = new TinyNcnn().Table(table, 0, 255, 14, 14, 3);
        Assert.Equal(4 + 1024 + 8, quantized.BinBytes.Length);
        Assert.Equal([-7f, 120.5f, 0f, 0f, -5.5f], Weights(quantized, 5, out var kt));
        Assert.Equal(NcnnWeightKind.Table, kt);
    }

    [Fact]
    public void Blocks_are_aligned_so_the_bias_after_fp16_weights_is_read_in_place()
    {
        // A 1x1 conv, 1 in, 3 out: 3 fp16 weights (6 bytes + 2 padding), then 3 raw fp32 biases.
        using var m = new TinyNcnn().Layer("Input in 0 1 data").Layer("Convolution c 1 1 data out 0=3 1=1 5=1 6=3")
            .Fp16(1f, 2f, -0.5f).Raw(10f, 20f, 30f);
        var net = m.Load();
        var (y, shape) = NcnnTest.Run(net, [2f], 1, 1, 1);
        Assert.Equal([1, 3, 1, 1], shape);
        Assert.Equal([12f, 24f, 29f], y);
    }

    [Fact]
    public void Int8_weights_are_refused_naming_the_layer()
    {
        using var m = new TinyNcnn().Layer("Input in 0 1 data").Layer("Convolution qconv 1 1 data out 0=1 1=1 6=1").Int8(3);
        AssertOneLine(Assert.Throws<InvalidDataException>(() => m.Load()), "qconv", "int8");
    }

    [Fact]
    public void A_truncated_bin_is_refused_naming_the_file_and_layer()
    {
        using var m = new TinyNcnn().Layer("Input in 0 1 data").Layer("Convolution conv7 1 1 data out 0=2 1=3 5=1 6=18")
            .Fp32(NcnnTest.RandomValues(18, 1)).Raw(1f); // one bias value of two
        var e = Assert.Throws<InvalidDataException>(() => m.Load());
        AssertOneLine(e, "model.bin", "conv7", "bias");

        using var cut = new TinyNcnn().Layer("Input in 0 1 data").Layer("Convolution conv7 1 1 data out 0=2 1=3 6=18").Fp16(NcnnTest.RandomValues(15, 1));
        AssertOneLine(Assert.Throws<InvalidDataException>(() => cut.Load()), "model.bin", "conv7", "fp16");

        using var noTag = new TinyNcnn().Layer("Input in 0 1 data").Layer("Convolution conv7 1 1 data out 0=1 1=1 6=1").Bytes(0, 0);
        AssertOneLine(Assert.Throws<InvalidDataException>(() => noTag.Load()), "model.bin", "tag");
    }

    [Fact]
    public void A_huge_declared_count_is_refused_before_anything_is_allocated()
    {
        using var m = new TinyNcnn().Layer("Input in 0 1 data").Layer("Convolution big 1 1 data out 0=1 1=1 6=2000000000").Fp32(1f);
        AssertOneLine(Assert.Throws<InvalidDataException>(() => m.Load()), "big", "2000000000");

        using var fc = new TinyNcnn().Layer("Input in 0 1 data").Layer("InnerProduct fc 1 1 data out 0=1000000 1=1 2=2000000000").Fp32(1f);
        AssertOneLine(Assert.Throws<InvalidDataException>(() => fc.Load()), "fc");

        using var prelu = new TinyNcnn().Layer("Input in 0 1 data").Layer("PReLU pr 1 1 data out 0=1000000").Raw(1f);
        AssertOneLine(Assert.Throws<InvalidDataException>(() => prelu.Load()), "pr", "1000000");
    }

    [Theory]
    // Three resizes by 64 (a 16x16 probe would become 4 million pixels a side), a padding of 60000, a deconvolution
    // of stride 1024: each a line of .param, each asking for gigabytes on the first small input.
    [InlineData("Interp a 1 1 data x 0=1 1=64.0 2=64.0|Interp b 1 1 x y 0=1 1=64.0 2=64.0|Interp c 1 1 y out 0=1 1=64.0 2=64.0", 0, "'b'")]
    [InlineData("Convolution pad 1 1 data out 0=1 1=1 4=60000 6=3", 3, "'pad'")]
    [InlineData("Deconvolution up 1 1 data out 0=1 1=1 3=1024 6=3", 3, "'up'")]
    public void A_layer_that_would_blow_up_a_small_input_is_refused_before_it_allocates(string layers, int weights, string mention)
    {
        var m = new TinyNcnn().Layer("Input in 0 1 data");
        foreach (var line in layers.Split('|')) m.Layer(line);
        if (weights > 0) m.Fp32(new float[weights]);
        using (m)
        {
            var network = m.Load();
            var input = new float[3 * 16 * 16];
            Assert.Throws<InvalidDataException>(() => NcnnTest.Run(network, input, 3, 16, 16)); // warm up

            long before = GC.GetAllocatedBytesForCurrentThread();
            var e = Assert.Throws<InvalidDataException>(() => NcnnTest.Run(network, input, 3, 16, 16));
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

            Assert.Contains(mention, e.Message);
            Assert.Contains("more than 8192 times as many", e.Message);
            Assert.True(allocated < 16 << 20, $"allocated {allocated} bytes before refusing");
        }
    }

    [Fact]
    public void Weight_counts_that_do_not_factor_into_the_shape_are_refused()
    {
        using var m = new TinyNcnn().Layer("Input in 0 1 data").Layer("Convolution c 1 1 data out 0=2 1=3 6=17").Fp32(NcnnTest.RandomValues(17, 2));
        AssertOneLine(Assert.Throws<InvalidDataException>(() => m.Load()), "weight_data_size", "17");
    }

    [Fact]
    public void Bytes_left_after_the_last_layer_are_refused()
    {
        using var m = new TinyNcnn().Layer("Input in 0 1 data").Layer("Convolution c 1 1 data out 0=1 1=1 6=1").Fp32(2f).Raw(0f);
        AssertOneLine(Assert.Throws<InvalidDataException>(() => m.Load()), "4 bytes are left");
    }

    [Fact]
    public void Missing_files_are_reported_as_invalid_data_naming_them()
    {
        var e = Assert.Throws<InvalidDataException>(() => NcnnNetwork.Load("/nonexistent/x.param", "/nonexistent/x.bin"));
        AssertOneLine(e, "/nonexistent/x.param");
    }

    /// <summary>Random corruption of a valid pair gives a model or an InvalidDataException, nothing else, quickly.</summary>
    [Fact]
    public void Corrupted_files_only_ever_raise_invalid_data()
    {
        using var m = new TinyNcnn()
            .Layer("Input in 0 1 data 0=8 1=8 2=3")
            .Layer("Split sp 1 2 data a b")
            .Layer("Convolution c1 1 1 a c1o 0=4 1=3 4=1 5=1 6=108 9=2 -23310=1,0.1").Fp16(NcnnTest.RandomValues(108, 3)).Raw(NcnnTest.RandomValues(4, 4))
            .Layer("Pooling p 1 1 c1o g 0=1 4=1")
            .Layer("InnerProduct fc 1 1 g s 0=3 1=1 2=12 9=4").Fp32(NcnnTest.RandomValues(12, 5)).Raw(1f, 2f, 3f)
            .Layer("Deconvolution d 1 1 c1o d1 0=3 1=2 3=2 5=1 6=48").Fp32(NcnnTest.RandomValues(48, 6)).Raw(0f, 0f, 0f)
            .Layer("Crop cr 1 1 b bc -23309=2,0,0 -23310=2,0,0 -23311=2,1,2")
            .Layer("Interp up 1 1 bc bu 0=1 1=2.0 2=2.0")
            .Layer("PReLU pr 1 1 bu bp 0=3").Raw(0.1f, 0.2f, 0.3f)
            .Layer("Eltwise e 2 1 bp d1 out 0=1 -23301=2,0.5,1.0");
        var (paramPath, binPath) = m.Save();
        NcnnNetwork.Load(paramPath, binPath);
        string text = File.ReadAllText(paramPath);
        byte[] bin = File.ReadAllBytes(binPath);
        var rng = new Random(7);
        string dir = Path.GetDirectoryName(paramPath)!;
        string p2 = Path.Combine(dir, "fuzz.param"), b2 = Path.Combine(dir, "fuzz.bin");
        const string alphabet = "0123456789-=,. \neE7x";
        for (int trial = 0; trial < 400; trial++)
        {
            var chars = text.ToCharArray();
            var bytes = (byte[])bin.Clone();
            int edits = 1 + rng.Next(3);
            for (int k = 0; k < edits; k++)
            {
                if (rng.Next(2) == 0) chars[rng.Next(chars.Length)] = alphabet[rng.Next(alphabet.Length)];
                else bytes[rng.Next(bytes.Length)] = (byte)rng.Next(256);
            }
            int keep = rng.Next(10) == 0 ? rng.Next(bytes.Length) : bytes.Length;
            File.WriteAllText(p2, new string(chars));
            File.WriteAllBytes(b2, bytes[..keep]);
            try { NcnnNetwork.Load(p2, b2); }
            catch (InvalidDataException e) { Assert.DoesNotContain('\n', e.Message); }
        }
    }
}
