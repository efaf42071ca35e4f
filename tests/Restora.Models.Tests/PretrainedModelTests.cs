using Restora.Imaging;
using Restora.Models.Upscaling;

namespace Restora.Models.Tests;

/// <summary>
/// The real UpscalerJS models (installed with npm into the model cache on first use) against TensorFlow.js
/// outputs stored in Reference/ (make_tfjs_reference.js): every pixel within 1 level.
/// </summary>
public class PretrainedModelTests
{
    static Image Load(string name) => ImageFile.Load(Path.Combine(AppContext.BaseDirectory, "Reference", name));

    [Theory]
    [InlineData("esrgan-slim-x4", "lr48.png", "slim_x4_tfjs.png")]
    [InlineData("esrgan-thick-x4", "lr32.png", "thick_x4_tfjs.png")]
    public void Output_equals_tensorflow_js_within_one_level(string model, string input, string reference)
    {
        var net = PretrainedNetwork.Open(model);
        var expected = Load(reference);
        var actual = TiledUpscaler.Upscale(Load(input), net);
        Assert.Equal((expected.Width, expected.Height), (actual.Width, actual.Height));
        // The reference PNG is RGBA (opaque); its first three planes are the color.
        int worst = 0;
        for (int i = 0; i < actual.Data.Length; i++)
            worst = Math.Max(worst, Math.Abs(Image.ToCode(expected.Data[i], 255) - Image.ToCode(actual.Data[i], 255)));
        Assert.True(worst <= 1, $"largest difference {worst} levels");
    }

    [Fact]
    public void A_real_model_tiles_exactly_with_its_receptive_radius()
    {
        var net = PretrainedNetwork.Open("esrgan-slim-x4");
        var image = Load("lr48.png");
        var whole = TiledUpscaler.Upscale(image, net, tile: 1000);
        var tiled = TiledUpscaler.Upscale(image, net, tile: 20);
        int worst = 0;
        for (int i = 0; i < whole.Data.Length; i++)
            worst = Math.Max(worst, Math.Abs(Image.ToCode(whole.Data[i], 255) - Image.ToCode(tiled.Data[i], 255)));
        Assert.True(worst <= 1, $"largest difference {worst} levels");
    }
}
