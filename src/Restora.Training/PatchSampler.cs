using Restora.Imaging;
using Restora.Models;

namespace Restora.Training;

/// <summary>
/// Cuts a random clean patch (with a random flip/rotation: one of the 8 symmetries of the square) and degrades it
/// as the task says. Resampling and blur read beyond the patch, so the crop carries a margin that is cut away
/// after degrading: the pair then equals what degrading the whole image and cropping would give (SR crops sit on
/// the scale grid for the same reason). Patches near the image border are degraded without a margin.
/// Everything comes from the one generator passed in, so a sample is fixed by its seed.
/// </summary>
public sealed class PatchSampler
{
    readonly CleanImages images;
    readonly DegradationSpec spec;
    readonly bool upsampleInput;

    /// <param name="patchSize">Target (clean, high-resolution) patch size; a multiple of the scale for SR.</param>
    /// <param name="upsampleInput">SR for same-size networks (SRCNN, VDSR): the input is the bicubic-upscaled LR patch.</param>
    public PatchSampler(CleanImages images, DegradationSpec spec, int patchSize, bool upsampleInput)
    {
        if (patchSize % spec.Scale != 0)
            throw new ArgumentException($"patch size {patchSize} must be a multiple of the scale {spec.Scale}");
        if (patchSize < 2 * spec.Scale) throw new ArgumentException($"patch size {patchSize} is too small");
        this.images = images;
        this.spec = spec;
        PatchSize = patchSize;
        this.upsampleInput = upsampleInput && spec.Task.Enlarges;
    }

    public int PatchSize { get; }
    /// <summary>The target's channels (the images').</summary>
    public int Channels => images.Channels;
    /// <summary>The input's channels: the images' except where the task reads fewer (a colorizer: 1).</summary>
    public int InputChannels => spec.Task.NetworkInputChannels(images.Channels);

    /// <summary>Input patch side: the target's divided by the scale for upsampling networks, else the same.</summary>
    public int InputSize => spec.Task.InputSize(PatchSize, spec.Ranges, upsampleInput);

    public TrainingPair Sample(SeededRandom rng)
    {
        var entry = images.Images[rng.NextInt(images.Images.Count)];
        int step = spec.Task.PatchStep(spec.Ranges);
        int x = rng.NextInt((entry.Width - PatchSize) / step + 1) * step;
        int y = rng.NextInt((entry.Height - PatchSize) / step + 1) * step;
        return Make(entry, x, y, rng.NextInt(8), rng);
    }

    /// <summary>The pair for the target patch at (x, y) of <paramref name="entry"/> under one of the 8 symmetries.</summary>
    internal TrainingPair Make(CleanImages.Entry entry, int x, int y, int symmetry, SeededRandom rng)
    {
        // Paired data: the same crop and symmetry of both sides, nothing degraded.
        if (entry.InputCodes is byte[] inputCodes)
            return new TrainingPair(Crop(entry, inputCodes, x, y, PatchSize, symmetry), Crop(entry, entry.Codes, x, y, PatchSize, symmetry), 0);
        int margin = spec.Task.PatchMargin(spec.Ranges, upsampleInput);
        // A patch too close to the image border for its margin is degraded on its own (symmetric borders all
        // round): an approximation confined to the rim of the few patches that touch it.
        bool fits = x >= margin && y >= margin && x + PatchSize + margin <= entry.Width && y + PatchSize + margin <= entry.Height;
        if (!fits) margin = 0;
        int full = PatchSize + 2 * margin;
        var crop = Crop(entry, entry.Codes, x - margin, y - margin, full, symmetry);

        return spec.Task.DegradePatch(crop, margin, PatchSize, spec.Ranges, rng, upsampleInput);
    }

    /// <summary>
    /// A size×size crop at (x0, y0), transformed by one of the 8 symmetries: bit 0 flips horizontally, bit 1
    /// vertically, bit 2 transposes (with the flips, the four 90° rotations).
    /// </summary>
    Image Crop(CleanImages.Entry entry, byte[] codes, int x0, int y0, int size, int symmetry)
    {
        int channels = images.Channels;
        var result = new Image(size, size, channels == 1 ? PixelLayout.Gray : PixelLayout.Rgb);
        bool flipX = (symmetry & 1) != 0, flipY = (symmetry & 2) != 0, transpose = (symmetry & 4) != 0;
        const float inv = 1f / 255;
        for (int c = 0; c < channels; c++)
        {
            var src = codes.AsSpan(c * entry.Width * entry.Height, entry.Width * entry.Height);
            var dst = result.Plane(c);
            for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                int sx = transpose ? y : x, sy = transpose ? x : y;
                if (flipX) sx = size - 1 - sx;
                if (flipY) sy = size - 1 - sy;
                dst[y * size + x] = src[(y0 + sy) * entry.Width + x0 + sx] * inv;
            }
        }
        return result;
    }
}
