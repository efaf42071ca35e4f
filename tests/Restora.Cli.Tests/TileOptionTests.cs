using Restora.Cli.Commands;
using Restora.Models;
using Restora.Models.Upscaling;

namespace Restora.Cli.Tests;

public class TileOptionTests
{
    static int Tile(params string[] argv) =>
        CommonOptions.Tile(CommandLineParser.ParseArguments(new RestoreCommand(RestorationTask.Denoise), ["in.png", "-o", "out.png", .. argv]));

    [Fact]
    public void No_tile_lets_the_restorer_choose_zero_means_the_whole_image_and_a_size_is_taken_as_given()
    {
        Assert.Equal(0, Tile());
        Assert.Equal(TiledUpscaler.WholeImage, Tile("--tile", "0"));
        Assert.Equal(512, Tile("--tile", "512"));
    }
}
