using Restora.Imaging;
using Restora.Metrics;
using Xunit;

namespace Restora.Metrics.Tests;

public class ColorfulnessTests
{
    /// <summary>../shared/datasets/CBSD68 beside the repository root (CI clones the repository beside ../shared).</summary>
    static string CBSD68
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Restora.slnx")))
                    return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "datasets", "CBSD68"));
            throw new DirectoryNotFoundException("no repository root above " + AppContext.BaseDirectory);
        }
    }

    [Fact]
    public void A_gray_image_and_a_neutral_rgb_image_score_zero()
    {
        var gray = new Image(4, 4, PixelLayout.Gray, 8, Enumerable.Range(0, 16).Select(i => i / 15f).ToArray());
        Assert.Equal(0, Colorfulness.Compute(gray));
        Assert.Equal(0, Colorfulness.Compute(gray.ToRgb()), 12);
    }

    [Fact]
    public void A_two_color_image_matches_the_hand_computed_formula()
    {
        // Half pure red (rg 255, yb 127.5), half pure blue (rg 0, yb -255): sd_rg 127.5, sd_yb 191.25,
        // mean_rg 127.5, mean_yb -63.75.
        var image = new Image(2, 1, PixelLayout.Rgb, 8, [1, 0, 0, 0, 0, 1]);
        double expected = Math.Sqrt(127.5 * 127.5 + 191.25 * 191.25) + 0.3 * Math.Sqrt(127.5 * 127.5 + 63.75 * 63.75);
        Assert.Equal(expected, Colorfulness.Compute(image), 9);
    }

    [Fact]
    public void CBSD68_originals_have_the_mean_colorfulness_REFERENCE_md_states()
    {
        var files = Directory.GetFiles(CBSD68, "*.png").Order(StringComparer.Ordinal).ToArray();
        var scores = files.Select(f => Colorfulness.Compute(ImageFile.Load(f))).ToArray();
        Assert.Equal(37.51, scores.Average(), 2);
        Assert.Equal(38.60, scores.Take(20).Average(), 2);
    }
}
