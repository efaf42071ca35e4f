using System.Buffers.Binary;
using Restora.Core;
using Restora.Imaging;
using Restora.Models.Keras;
using Restora.Models.Upscaling;

namespace Restora.Models.Tests;

/// <summary>
/// The loader on a tiny model that uses every supported layer with float32, uint8 and float16 weights
/// (Reference/make_tiny_keras.py, its output computed by PyTorch through ../shared/tools/keras-torch-ref.py).
/// </summary>
public class KerasModelTests
{
    internal static string Folder => Path.Combine(AppContext.BaseDirectory, "Reference", "tiny_keras");

    static Tensor TinyInput()
    {
        var t = Tensor.Empty(1, 3, 9, 10);
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < 9; y++)
                for (int x = 0; x < 10; x++)
                    t.Span[(c * 9 + y) * 10 + x] = ((x * 7 + y * 13 + c * 5) % 17) / 16f;
        return t;
    }

    [Fact]
    public void Forward_matches_pytorch_on_every_layer_type_and_weight_encoding()
    {
        var model = KerasModel.Load(Folder);
        using var input = TinyInput();
        using var output = model.Forward(input);
        Assert.Equal([1, 3, 36, 40], output.Shape);
        var bytes = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Reference", "tiny_keras_output.bin"));
        var expected = Enumerable.Range(0, bytes.Length / 4).Select(i => BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(4 * i))).ToArray();
        var actual = output.ToArray();
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) < 1e-5, $"sample {i}: {actual[i]} vs {expected[i]}");
    }

    [Fact]
    public void Scale_receptive_radius_and_flops_come_from_the_topology()
    {
        var model = KerasModel.Load(Folder);
        Assert.Equal(4, model.Scale);
        // conv_a (1) + conv_b (1) at 1x, conv_d (1) at 2x = 2.5 input pixels, rounded up.
        Assert.Equal(3, model.ReceptiveRadius);
        double perPixel = 2.0 * (3 * 8 * 9 + 8 * 8 * 9 + 16 * 8) + 2.0 * 8 * 12 * 9 * 4;
        Assert.Equal(perPixel * 90, model.Flops(9, 10), 6);
    }

    [Fact]
    public void Forward_leaves_the_input_usable_and_can_run_again()
    {
        var model = KerasModel.Load(Folder);
        using var input = TinyInput();
        using var first = model.Forward(input);
        using var second = model.Forward(input);
        Assert.Equal(first.ToArray(), second.ToArray());
        Assert.False(input.IsDisposed);
    }

    static string CopyWithModelJson(Func<string, string> edit)
    {
        var dir = Directory.CreateTempSubdirectory("restora-keras-").FullName;
        foreach (var f in Directory.GetFiles(Folder)) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        var json = Path.Combine(dir, "model.json");
        File.WriteAllText(json, edit(File.ReadAllText(json)));
        return dir;
    }

    [Fact]
    public void An_unknown_layer_is_named_in_the_error()
    {
        var dir = CopyWithModelJson(j => j.Replace("\"class_name\": \"MultiplyBeta\"", "\"class_name\": \"SpatialDropout2D\""));
        var e = Assert.Throws<KerasFormatException>(() => KerasModel.Load(dir));
        Assert.Contains("SpatialDropout2D", e.Message);
        Assert.Contains("'beta'", e.Message);
    }

    [Fact]
    public void Missing_or_short_weight_shards_are_refused()
    {
        var dir = CopyWithModelJson(j => j);
        File.Delete(Path.Combine(dir, "group1-shard2of2.bin"));
        Assert.Contains("missing", Assert.Throws<KerasFormatException>(() => KerasModel.Load(dir)).Message);
        var dir2 = CopyWithModelJson(j => j);
        var shard = Path.Combine(dir2, "group1-shard2of2.bin");
        File.WriteAllBytes(shard, File.ReadAllBytes(shard)[..100]);
        Assert.Contains("past the end", Assert.Throws<KerasFormatException>(() => KerasModel.Load(dir2)).Message);
        var dir3 = CopyWithModelJson(j => j.Replace("group1-shard1of2.bin", "../../etc/passwd"));
        Assert.Contains("leaves the model folder", Assert.Throws<KerasFormatException>(() => KerasModel.Load(dir3)).Message);
    }

    [Fact]
    public void A_weight_shape_larger_than_the_shards_is_refused_before_allocating()
    {
        // 100000x100000x3x8 floats (960 GB) claimed over 5 KB of shards.
        var dir = CopyWithModelJson(j => j.Replace("\"shape\": [\n      3,\n      3,\n      3,\n      8", "\"shape\": [\n      100000,\n      100000,\n      3,\n      8"));
        KerasModel.Load(CopyWithModelJson(j => j)); // warm up the code paths: their one-time allocations do not count
        Assert.Throws<KerasFormatException>(() => KerasModel.Load(dir));

        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<KerasFormatException>(() => KerasModel.Load(dir));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Contains("'conv_a/kernel' of shape [100000, 100000, 3, 8] is larger than its shards", e.Message);
        Assert.True(allocated < 4 << 20, $"allocated {allocated} bytes before refusing");
    }

    [Fact]
    public void A_shard_listed_many_times_is_refused()
    {
        // Otherwise a manifest naming one shard a thousand times costs a thousand times its memory.
        var many = string.Join(", ", Enumerable.Repeat("\"group1-shard1of2.bin\"", 1000));
        var dir = CopyWithModelJson(j => j.Replace("\"group1-shard1of2.bin\",", many + ","));

        var e = Assert.Throws<KerasFormatException>(() => KerasModel.Load(dir));

        Assert.Contains("weight shard 'group1-shard1of2.bin' is listed twice", e.Message);
    }

    [Theory]
    [InlineData("{\"modelTopology\": ", "malformed model.json")]
    [InlineData("{\"weightsManifest\": 3, \"modelTopology\": {}}", "malformed model.json")]
    [InlineData("{\"weightsManifest\": []}", "a property a layers-model needs is missing")]
    [InlineData("[1, 2]", "malformed model.json")]
    public void Malformed_model_json_is_one_line_naming_the_file(string json, string mention)
    {
        var dir = CopyWithModelJson(_ => json);

        var e = Assert.Throws<KerasFormatException>(() => KerasModel.Load(dir));

        Assert.StartsWith(Path.Combine(dir, "model.json") + ": ", e.Message);
        Assert.Contains(mention, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    sealed class TinyNetwork(KerasModel model) : ISuperResolutionNetwork
    {
        public string Name => "tiny";
        public int Scale => model.Scale;
        public int ReceptiveRadius => model.ReceptiveRadius;
        public float InputRange => 1;
        public long PeakBytesPerInputPixel => model.PeakBytesPerInputPixel;
        public double Flops(int h, int w) => model.Flops(h, w);
        public Tensor Forward(Tensor input) => model.Forward(input);
    }

    static Image Photo(int w, int h, PixelLayout layout, int depth = 8)
    {
        var image = new Image(w, h, layout, depth);
        var rng = new SeededRandom(11);
        for (int i = 0; i < image.Data.Length; i++) image.Data[i] = (float)(0.5 + 0.4 * Math.Sin(i * 0.37) * rng.NextDouble());
        return image;
    }

    [Theory]
    [InlineData(4)]
    [InlineData(7)]
    [InlineData(16)]
    public void Tiled_output_equals_untiled_output(int tile)
    {
        var net = new TinyNetwork(KerasModel.Load(Folder));
        var image = Photo(37, 29, PixelLayout.Rgb);
        var whole = TiledUpscaler.Upscale(image, net, tile: 1000);
        int tiles = 0;
        var tiled = TiledUpscaler.Upscale(image, net, tile, (done, total) => tiles = total);
        Assert.Equal(((37 + tile - 1) / tile) * ((29 + tile - 1) / tile), tiles);
        Assert.Equal(whole.Width, tiled.Width);
        for (int i = 0; i < whole.Data.Length; i++)
            Assert.True(Math.Abs(whole.Data[i] - tiled.Data[i]) <= 1e-5f, $"sample {i}: {tiled.Data[i]} vs {whole.Data[i]}");
    }

    [Fact]
    public void A_margin_smaller_than_the_receptive_field_would_show_seams()
    {
        // The test above can fail: with a too-small overlap, tiles differ from the whole image.
        var model = KerasModel.Load(Folder);
        var narrow = new NarrowMargin(new TinyNetwork(model));
        var image = Photo(37, 29, PixelLayout.Rgb);
        var whole = TiledUpscaler.Upscale(image, narrow, tile: 1000);
        var tiled = TiledUpscaler.Upscale(image, narrow, tile: 8);
        Assert.Contains(Enumerable.Range(0, whole.Data.Length), i => Math.Abs(whole.Data[i] - tiled.Data[i]) > 1e-3f);
    }

    sealed class NarrowMargin(ISuperResolutionNetwork inner) : ISuperResolutionNetwork
    {
        public string Name => inner.Name;
        public int Scale => inner.Scale;
        public int ReceptiveRadius => 1;
        public float InputRange => inner.InputRange;
        public long PeakBytesPerInputPixel => inner.PeakBytesPerInputPixel;
        public double Flops(int h, int w) => inner.Flops(h, w);
        public Tensor Forward(Tensor input) => inner.Forward(input);
    }

    [Fact]
    public void Gray_images_come_back_gray_through_rgb()
    {
        var net = new TinyNetwork(KerasModel.Load(Folder));
        var gray = Photo(12, 10, PixelLayout.Gray);
        var result = TiledUpscaler.Upscale(gray, net);
        Assert.Equal(PixelLayout.Gray, result.Layout);
        var viaRgb = TiledUpscaler.Upscale(gray.ToRgb(), net);
        for (int i = 0; i < result.PixelCount; i++)
        {
            float luma = 0.298936f * viaRgb.Data[i] + 0.587043f * viaRgb.Data[result.PixelCount + i] + 0.114021f * viaRgb.Data[2 * result.PixelCount + i];
            Assert.Equal(luma, result.Data[i], 5);
        }
    }

    [Fact]
    public void Alpha_is_enlarged_with_bicubic_and_reattached()
    {
        var net = new TinyNetwork(KerasModel.Load(Folder));
        var rgba = Photo(12, 10, PixelLayout.Rgba);
        var result = TiledUpscaler.Upscale(rgba, net);
        Assert.Equal(PixelLayout.Rgba, result.Layout);
        var alpha = new Image(12, 10, PixelLayout.Gray, 8, rgba.Plane(3).ToArray());
        Assert.Equal(Resize.ByFactor(alpha, 4).Data, result.Plane(3).ToArray());
        var rgbOnly = TiledUpscaler.Upscale(rgba.WithoutAlpha(), net);
        Assert.Equal(rgbOnly.Data, result.Data.AsSpan(0, rgbOnly.Data.Length).ToArray());
    }

    [Fact]
    public void Sixteen_bit_images_keep_their_depth()
    {
        var net = new TinyNetwork(KerasModel.Load(Folder));
        var deep = Photo(8, 8, PixelLayout.Rgb, 16);
        var result = TiledUpscaler.Upscale(deep, net);
        Assert.Equal(16, result.BitDepth);
        var bytes = ImageFile.Encode(result, ImageFormat.Png);
        Assert.Equal(16, ImageFile.Decode(bytes).BitDepth);
    }

    [Fact]
    public void Automatic_tiles_cover_small_images_whole_and_split_large_ones()
    {
        var net = new TinyNetwork(KerasModel.Load(Folder));
        Assert.Equal(300, TiledUpscaler.AutoTile(net, 300, 200, 1L << 30));
        int tile = TiledUpscaler.AutoTile(net, 100_000, 100_000, 64L << 20);
        Assert.InRange(tile, 32, 5000);
    }
}
