using Restora.Imaging;

namespace Restora.Models.Tests.Tasks;

public class DeblockTaskTests
{
    /// <summary>
    /// restora-deblock-gray is a colour network trained on gray pictures held as RGB, and scored on one-channel JPEGs
    /// (the DnCNN protocol). That is the same training: libjpeg-turbo's colour JPEG of three equal planes decodes to
    /// exactly the gray JPEG in every plane (Y is the gray value, Cb = Cr = 128), at every quality.
    /// </summary>
    [Fact]
    public void Training_on_gray_pictures_as_RGB_sees_exactly_the_gray_JPEG()
    {
        var gray = new Image(40, 24, PixelLayout.Gray);
        var p = gray.Plane(0);
        for (int i = 0; i < p.Length; i++) p[i] = MathF.Round(255 * (0.5f + 0.4f * MathF.Sin(i * 0.37f) * MathF.Cos(i % 40 * 0.21f))) / 255;
        var rgb = gray.ToRgb();
        var task = TaskRegistry.Tasks.Get("deblock");
        foreach (int q in new[] { 5, 10, 20, 30, 40, 60, 90 })
        {
            var asGray = Degrade.Jpeg(gray, q);
            var asColour = task.Degrade(rgb, TaskParameters.Empty.With("quality", q), 0);
            Assert.False(asGray.Plane(0).SequenceEqual(gray.Plane(0)), $"q {q}: the JPEG changed nothing");
            for (int c = 0; c < 3; c++) Assert.True(asColour.Plane(c).SequenceEqual(asGray.Plane(0)), $"q {q} plane {c}");
        }
    }
}
