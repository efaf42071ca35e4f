namespace Restora.Imaging;

/// <summary>
/// MATLAB's <c>rgb2ycbcr</c> / <c>ycbcr2rgb</c> for double images (ITU-R BT.601, studio range):
/// Y in 16/255..235/255, Cb and Cr in 16/255..240/255, for R, G, B in 0..1. Computed in double because
/// the SR literature scores on this unrounded Y.
/// </summary>
public static class Color
{
    // The rows of MATLAB's matrix, already divided by 255 (inputs and outputs are both 0..1).
    const double YR = 65.481 / 255, YG = 128.553 / 255, YB = 24.966 / 255;
    const double CbR = -37.797 / 255, CbG = -74.203 / 255, CbB = 112.0 / 255;
    const double CrR = 112.0 / 255, CrG = -93.786 / 255, CrB = -18.214 / 255;
    const double YOffset = 16.0 / 255, COffset = 128.0 / 255;

    /// <summary>MATLAB's inverse matrix (inv of the one above, times 255), as ycbcr2rgb uses it.</summary>
    static readonly double[,] Inverse = Invert3(new[,]
    {
        { YR, YG, YB },
        { CbR, CbG, CbB },
        { CrR, CrG, CrB },
    });

    /// <summary>Y of one pixel, 0..1 in and out.</summary>
    public static double LumaOf(double r, double g, double b) => YOffset + YR * r + YG * g + YB * b;

    /// <summary>The Y plane of an image in double, 0..1. A gray image is read as R = G = B, as the SR
    /// evaluation protocol does (it converts every file to RGB first), so its Y is 16/255 + 219/255 * gray.</summary>
    public static double[] Luma(Image image)
    {
        var y = new double[image.PixelCount];
        var r = image.Plane(0);
        var gr = image.Plane(image.IsGray ? 0 : 1);
        var b = image.Plane(image.IsGray ? 0 : 2);
        for (int i = 0; i < y.Length; i++) y[i] = LumaOf(r[i], gr[i], b[i]);
        return y;
    }

    /// <summary>
    /// The luminance a black-and-white photo of the image holds: round(0.299 R + 0.587 G + 0.114 B) on the image's
    /// code scale (0..255 for 8 bits), as one gray plane; alpha is dropped. Full range (JPEG's Y), not MATLAB's
    /// 16..235 <see cref="Luma"/>. A gray image is its own luminance.
    /// </summary>
    public static Image Luminance(Image image)
    {
        var result = new Image(image.Width, image.Height, PixelLayout.Gray, image.BitDepth);
        var y = result.Plane(0);
        if (image.IsGray) { image.Plane(0).CopyTo(y); return result; }
        double levels = image.MaxValue;
        var r = image.Plane(0); var g = image.Plane(1); var b = image.Plane(2);
        // On the integer codes, in double: the weights on 0..255 as the definition states them.
        for (int i = 0; i < y.Length; i++)
            y[i] = (float)(Math.Round(0.299 * Math.Round(r[i] * levels) + 0.587 * Math.Round(g[i] * levels) + 0.114 * Math.Round(b[i] * levels),
                MidpointRounding.AwayFromZero) / levels);
        return result;
    }

    /// <summary>RGB(A) → YCbCr(A), every plane 0..1 (alpha copied). Returned in float, like the image.</summary>
    public static Image RgbToYCbCr(Image rgb)
    {
        if (rgb.IsGray) throw new ArgumentException($"rgb2ycbcr needs an RGB image, got {rgb.Layout}");
        var result = new Image(rgb.Width, rgb.Height, rgb.Layout, rgb.BitDepth);
        var r = rgb.Plane(0); var g = rgb.Plane(1); var b = rgb.Plane(2);
        var y = result.Plane(0); var cb = result.Plane(1); var cr = result.Plane(2);
        for (int i = 0; i < y.Length; i++)
        {
            double R = r[i], G = g[i], B = b[i];
            y[i] = (float)(YOffset + YR * R + YG * G + YB * B);
            cb[i] = (float)(COffset + CbR * R + CbG * G + CbB * B);
            cr[i] = (float)(COffset + CrR * R + CrG * G + CrB * B);
        }
        if (rgb.HasAlpha) rgb.Plane(3).CopyTo(result.Plane(3));
        return result;
    }

    /// <summary>YCbCr(A) → RGB(A), the inverse of <see cref="RgbToYCbCr"/>; not clamped, as MATLAB's double path.</summary>
    public static Image YCbCrToRgb(Image ycbcr)
    {
        if (ycbcr.IsGray) throw new ArgumentException($"ycbcr2rgb needs a 3-channel image, got {ycbcr.Layout}");
        var result = new Image(ycbcr.Width, ycbcr.Height, ycbcr.Layout, ycbcr.BitDepth);
        var y = ycbcr.Plane(0); var cb = ycbcr.Plane(1); var cr = ycbcr.Plane(2);
        var r = result.Plane(0); var g = result.Plane(1); var b = result.Plane(2);
        var m = Inverse;
        for (int i = 0; i < y.Length; i++)
        {
            double Y = y[i] - YOffset, Cb = cb[i] - COffset, Cr = cr[i] - COffset;
            r[i] = (float)(m[0, 0] * Y + m[0, 1] * Cb + m[0, 2] * Cr);
            g[i] = (float)(m[1, 0] * Y + m[1, 1] * Cb + m[1, 2] * Cr);
            b[i] = (float)(m[2, 0] * Y + m[2, 1] * Cb + m[2, 2] * Cr);
        }
        if (ycbcr.HasAlpha) ycbcr.Plane(3).CopyTo(result.Plane(3));
        return result;
    }

    static double[,] Invert3(double[,] a)
    {
        double det = a[0, 0] * (a[1, 1] * a[2, 2] - a[1, 2] * a[2, 1])
                   - a[0, 1] * (a[1, 0] * a[2, 2] - a[1, 2] * a[2, 0])
                   + a[0, 2] * (a[1, 0] * a[2, 1] - a[1, 1] * a[2, 0]);
        var inv = new double[3, 3];
        inv[0, 0] = (a[1, 1] * a[2, 2] - a[1, 2] * a[2, 1]) / det;
        inv[0, 1] = (a[0, 2] * a[2, 1] - a[0, 1] * a[2, 2]) / det;
        inv[0, 2] = (a[0, 1] * a[1, 2] - a[0, 2] * a[1, 1]) / det;
        inv[1, 0] = (a[1, 2] * a[2, 0] - a[1, 0] * a[2, 2]) / det;
        inv[1, 1] = (a[0, 0] * a[2, 2] - a[0, 2] * a[2, 0]) / det;
        inv[1, 2] = (a[0, 2] * a[1, 0] - a[0, 0] * a[1, 2]) / det;
        inv[2, 0] = (a[1, 0] * a[2, 1] - a[1, 1] * a[2, 0]) / det;
        inv[2, 1] = (a[0, 1] * a[2, 0] - a[0, 0] * a[2, 1]) / det;
        inv[2, 2] = (a[0, 0] * a[1, 1] - a[0, 1] * a[1, 0]) / det;
        return inv;
    }
}
