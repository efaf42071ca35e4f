using Restora.Imaging;
using Restora.Models.Ncnn;
using Restora.Models.Upscaling;
using Xunit.Abstractions;
using static Restora.Models.Tests.NcnnTest;

namespace Restora.Models.Tests;

/// <summary>
/// ncnn models through the one restore pipeline (by catalog name, as the commands open them): the whole image gives
/// the family's own whole-image answer, and tiles give it too, within 1 level.
/// </summary>
public class NcnnPipelineTests(ITestOutputHelper output)
{
    static Formats.IRestorationModel Open(string name) => ModelLoader.Open(name, NcnnPeers.Store);

    static TaskSettings Sr(int scale) => new() { Task = RestorationTask.SuperResolution, Parameters = TaskParameters.Empty.With("scale", scale) };

    [Theory]
    [InlineData("waifu2x-upconv7-x2", 16)]           // valid convolutions: the radius is the family's padding
    [InlineData("realesr-animevideov3-x2", 24)]      // SRVGGNetCompact: the radius is its convolution count
    [InlineData("realesrgan-x4plus-anime", 32)]      // RRDBNet: the margin is capped (NcnnPipelineNetwork.MaxMargin)
    public void Tiles_give_the_whole_image_answer(string name, int tile)
    {
        var (image, path) = NcnnPeers.Crop("comic.png", 30, 50, 97, 71);
        File.Delete(path);
        var info = NcnnModels.Get(name);
        var whole = info.Family.Upscale(NcnnPeers.Network(name), image);
        var model = Open(name);
        var viaPipeline = model.Restore(image, Sr(info.Family.Scale));
        var (max0, _) = Compare(viaPipeline, whole);
        Assert.Equal(0, max0);
        model.Tile = tile;
        int tiles = 0;
        model.TileProgress = (_, total) => tiles = total;
        var tiled = model.Restore(image, Sr(info.Family.Scale));
        var (max, psnr) = Compare(tiled, whole);
        output.WriteLine($"{name}, {tiles} tiles of {tile}: largest difference {max} levels, {psnr:F2} dB");
        Assert.True(tiles > 4, $"only {tiles} tiles");
        Assert.True(max <= 1, $"{name} tiled at {tile}: largest difference {max} levels ({psnr:F2} dB)");
    }

    [Theory]
    [InlineData("realcugan-x2-conservative", 24)]
    [InlineData("realcugan-x3-denoise3x", 32)]
    [InlineData("realcugan-x4-no-denoise", 20)]
    [InlineData("waifu2x-cunet-noise1-x2", 28)]
    [InlineData("waifu2x-cunet-noise2", 32)]
    public void Squeeze_excitation_means_are_the_whole_images_at_any_tile_size(string name, int tile)
    {
        // The reference program only approximates these means per tile (NCNN.md: 29-56 dB); Restora gathers them
        // over all tiles first, so tiling changes nothing beyond float rounding.
        var (image, path) = NcnnPeers.Crop("baboon.png", 100, 200, 83, 61);
        File.Delete(path);
        var info = NcnnModels.Get(name);
        var whole = info.Family.Upscale(NcnnPeers.Network(name), image);
        var model = Open(name);
        Assert.Equal(0, Compare(model.Restore(image, Settings(model)), whole).Max);
        model.Tile = tile;
        int tiles = 0;
        model.TileProgress = (_, total) => tiles = total;
        var tiled = model.Restore(image, Settings(model));
        var (max, psnr) = Compare(tiled, whole);
        output.WriteLine($"{name}, {tiles} tiles of {tile}: largest difference {max} levels, {psnr:F2} dB");
        Assert.True(tiles >= 4, $"only {tiles} tiles");
        Assert.True(max <= 1, $"{name} tiled at {tile}: largest difference {max} levels ({psnr:F2} dB)");
    }

    static TaskSettings Settings(Formats.IRestorationModel model) => model.Task.Enlarges ? Sr(model.Scale)
        : new TaskSettings { Task = model.Task };

    [Fact]
    public void Gray_and_alpha_go_through_like_every_other_network()
    {
        var (image, path) = NcnnPeers.Crop("comic.png", 30, 50, 40, 30);
        File.Delete(path);
        var rgba = new Image(40, 30, PixelLayout.Rgba);
        image.Data.AsSpan(0, 3 * 1200).CopyTo(rgba.Data);
        for (int i = 0; i < 1200; i++) rgba.Plane(3)[i] = i % 7 / 6f;
        var model = Open("waifu2x-upconv7-x2");
        var result = model.Restore(rgba, Sr(2));
        Assert.Equal(PixelLayout.Rgba, result.Layout);
        Assert.Equal((80, 60), (result.Width, result.Height));
        var gray = model.Restore(new Image(40, 30, PixelLayout.Gray, 8, image.Plane(1).ToArray()), Sr(2));
        Assert.Equal(PixelLayout.Gray, gray.Layout);
    }

    [Fact]
    public void The_one_x_cunet_denoiser_is_a_denoise_model()
    {
        var model = Open("waifu2x-cunet-noise1");
        Assert.Equal(RestorationTask.Denoise, model.Task);
        Assert.Equal(1, model.Scale);
    }
}
