namespace Restora.Imaging;

/// <summary>What the header of an ICC profile says about the pixels it can describe.</summary>
internal static class IccProfile
{
    /// <summary>
    /// Whether the profile's data color space (header bytes 16..19) fits an image with these channels: an RGB
    /// profile on a gray file (or a CMYK one on the RGB a CMYK JPEG decodes to) is invalid and makes viewers
    /// render wrong colors, so such a profile is dropped rather than written.
    /// </summary>
    public static bool Fits(byte[] profile, bool gray)
    {
        if (profile.Length < 128) return false;
        var space = profile.AsSpan(16, 4);
        return gray ? space.SequenceEqual("GRAY"u8) : space.SequenceEqual("RGB "u8);
    }
}
