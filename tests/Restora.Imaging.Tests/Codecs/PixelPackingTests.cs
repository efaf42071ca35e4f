using Restora.Imaging.Codecs;

namespace Restora.Imaging.Tests.Codecs;

public class PixelPackingTests
{
    private static readonly float[] Edges =
    [
        float.NaN, float.NegativeInfinity, -1f, -0f, 0f, 0.49f / 255, 0.5f / 255, 0.51f / 255, 0.5f, 1f - 0.5f / 255,
        1f - 0.49f / 255, 1f, 1.0001f, 2f, float.PositiveInfinity, 0.5f / 65535, 1f - 0.5f / 65535, 32767.5f / 65535,
    ];

    [Theory]
    [InlineData(8)]
    [InlineData(16)]
    public void FromPlanar_RoundsAndClampsExactlyAsImageToCode(int bitDepth)
    {
        // 301 pixels: several SIMD blocks, a chunk boundary at 256 and a scalar tail.
        var image = new Image(301, 1, PixelLayout.Rgb, bitDepth);
        var random = new Random(3);
        for (int i = 0; i < image.Data.Length; i++)
            image.Data[i] = i < Edges.Length * 3 ? Edges[i / 3] : (float)(random.NextDouble() * 1.2 - 0.1);
        int max = image.MaxValue;

        int[] actual = bitDepth == 8 ? Pack8(image) : Pack16(image);

        for (int i = 0; i < image.PixelCount; i++)
        for (int c = 0; c < 3; c++)
        {
            float value = image.Plane(c)[i];
            Assert.True(Image.ToCode(value, max) == actual[i * 3 + c], $"value {value:R}: {actual[i * 3 + c]} vs ToCode {Image.ToCode(value, max)}");
        }
    }

    [Fact]
    public void FromPlanar_PlaneMapReordersDropsAndRepeatsPlanes()
    {
        var image = new Image(2, 1, PixelLayout.GrayAlpha);
        new[] { 10 / 255f, 20 / 255f, 30 / 255f, 40 / 255f }.CopyTo(image.Data, 0); // gray 10,20 alpha 30,40
        var rgba = new byte[8];

        PixelPacking.FromPlanar(image, [0, 0, 0, 1], rgba);

        Assert.Equal(new byte[] { 10, 10, 10, 30, 20, 20, 20, 40 }, rgba);
    }

    [Fact]
    public void ToPlanar_TakesTheFirstChannelsOfEachPixel()
    {
        byte[] rgba = [255, 0, 51, 7, 0, 255, 102, 9];
        var rgb = new Image(2, 1, PixelLayout.Rgb);

        PixelPacking.ToPlanar(rgba, 4, rgb);

        const float s = 1f / 255; // the documented scale: a multiply, not a division
        Assert.Equal(new[] { 255 * s, 0, 0, 255 * s, 51 * s, 102 * s }, rgb.Data);
    }

    private static int[] Pack8(Image image)
    {
        var bytes = new byte[image.Data.Length];
        PixelPacking.FromPlanar(image, [0, 1, 2], bytes);
        return bytes.Select(b => (int)b).ToArray();
    }

    private static int[] Pack16(Image image)
    {
        var samples = new ushort[image.Data.Length];
        PixelPacking.FromPlanar(image, [0, 1, 2], samples);
        return samples.Select(s => (int)s).ToArray();
    }
}
