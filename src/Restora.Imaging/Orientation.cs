using Restora.Core;

namespace Restora.Imaging;

/// <summary>
/// Turns stored pixels into the picture a viewer shows for an EXIF orientation value: 2 mirror, 3 rotate 180,
/// 4 flip, 5 transpose, 6 rotate 90° clockwise, 7 transverse, 8 rotate 90° counter-clockwise.
/// </summary>
public static class Orientation
{
    public static bool SwapsAxes(int orientation) => orientation is >= 5 and <= 8;

    public static Image Apply(Image image, int orientation)
    {
        if (orientation is < 1 or > 8) throw new ArgumentOutOfRangeException(nameof(orientation), $"EXIF orientation is 1..8, got {orientation}");
        if (orientation == 1) return image.Clone();
        int w = image.Width, h = image.Height;
        // Source coordinates are affine in the output ones: srcX = ax*x + bx*y + cx, srcY = ay*x + by*y + cy.
        var (ax, bx, cx, ay, by, cy) = orientation switch
        {
            2 => (-1, 0, w - 1, 0, 1, 0),
            3 => (-1, 0, w - 1, 0, -1, h - 1),
            4 => (1, 0, 0, 0, -1, h - 1),
            5 => (0, 1, 0, 1, 0, 0),
            6 => (0, 1, 0, -1, 0, h - 1),
            7 => (0, -1, w - 1, -1, 0, h - 1),
            _ => (0, -1, w - 1, 1, 0, 0),
        };
        bool swap = SwapsAxes(orientation);
        int outW = swap ? h : w, outH = swap ? w : h;
        long stepX = (long)ay * w + ax, stepY = (long)by * w + bx, start = (long)cy * w + cx;
        var result = new Image(outW, outH, image.Layout, image.BitDepth) { Metadata = image.Metadata };
        int planeSize = image.PixelCount;
        // Rows in parallel: a rotation reads a column per output row, so one thread leaves memory bandwidth idle.
        Compute.For(outH * image.Channels, job =>
        {
            int c = job / outH, y = job % outH;
            var source = image.Data.AsSpan(c * planeSize, planeSize);
            var row = result.Data.AsSpan(c * planeSize + y * outW, outW);
            long index = start + stepY * y;
            for (int x = 0; x < outW; x++, index += stepX) row[x] = source[(int)index];
        });
        return result;
    }
}
