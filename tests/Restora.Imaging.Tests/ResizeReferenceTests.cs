using Restora.Imaging;

namespace Restora.Imaging.Tests;

/// <summary>
/// Whole-image comparisons with MATLAB imresize outputs rounded to uint8, made by
/// Reference/make_imresize_reference.py (an independent NumPy transcription of imresize.m) from CSet5 bird.
/// </summary>
public class ResizeReferenceTests
{
    static Image Load(string name) => ImageFile.Load(Path.Combine(AppContext.BaseDirectory, "Reference", name));

    [Theory]
    [InlineData("down3_bicubic.png", ResizeMethod.Bicubic)]
    [InlineData("down3_bilinear.png", ResizeMethod.Bilinear)]
    [InlineData("down3_lanczos3.png", ResizeMethod.Lanczos3)]
    [InlineData("down3_nearest.png", ResizeMethod.Nearest)]
    [InlineData("odd_bicubic.png", ResizeMethod.Bicubic)]
    [InlineData("up3_bicubic.png", ResizeMethod.Bicubic)]
    public void Output_is_matlab_rounded_to_uint8_within_one_level(string reference, ResizeMethod method)
    {
        var expected = Load(reference);
        // The up-scaled references start from the bicubic x1/3 image, the others from the source.
        var source = reference.StartsWith("down3") ? Load("source.png") : Load("down3_bicubic.png");
        var actual = Resize.ToSize(source, expected.Width, expected.Height, method);

        int maxDiff = 0, differing = 0;
        for (int i = 0; i < expected.Data.Length; i++)
        {
            int d = Math.Abs(Image.ToCode(expected.Data[i], 255) - Image.ToCode(actual.Data[i], 255));
            maxDiff = Math.Max(maxDiff, d);
            if (d != 0) differing++;
        }
        Assert.True(maxDiff <= 1, $"max difference {maxDiff} levels");
        // Float32 arithmetic may land on the other side of a .5 only rarely.
        Assert.True(differing <= expected.Data.Length / 1000, $"{differing} of {expected.Data.Length} samples differ");
    }

    [Fact]
    public void Resize_by_factor_one_third_matches_the_explicit_size()
    {
        var source = Load("source.png");
        var byFactor = Resize.ByFactor(source, 1.0 / 3);
        Assert.Equal(Load("down3_bicubic.png").Width, byFactor.Width);
        Assert.Equal(Resize.ToSize(source, byFactor.Width, byFactor.Height).Data, byFactor.Data);
    }
}
