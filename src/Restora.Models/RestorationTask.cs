using Restora.Imaging;

namespace Restora.Models;

public enum RestorationTask { SuperResolution, Denoise, Deblock, Deblur }

/// <summary>How a task degrades a clean image, and what a restorer may be told about it.</summary>
public sealed record TaskSettings
{
    public RestorationTask Task { get; init; }
    public int Scale { get; init; } = 4;
    /// <summary>Noise sigma on the 0..255 scale; used by denoise (default 25) and, when set, added after deblur's blur.</summary>
    public double NoiseSigma { get; init; }
    public int Quality { get; init; } = 10;
    public double BlurSigma { get; init; } = 2.0;
    /// <summary>Evaluation only: denoisers are told the noisy image's estimated sigma rather than the true one.</summary>
    public bool Blind { get; init; }
    public ulong Seed { get; init; }

    public static RestorationTask ParseTask(string name) => name.ToLowerInvariant() switch
    {
        "sr" or "super-resolution" => RestorationTask.SuperResolution,
        "denoise" => RestorationTask.Denoise,
        "deblock" => RestorationTask.Deblock,
        "deblur" => RestorationTask.Deblur,
        _ => throw new ArgumentException($"unknown task '{name}' (use sr, denoise, deblock or deblur)"),
    };

    public static string TaskName(RestorationTask task) => task switch
    {
        RestorationTask.SuperResolution => "sr",
        RestorationTask.Denoise => "denoise",
        RestorationTask.Deblock => "deblock",
        _ => "deblur",
    };

    public void Validate()
    {
        if (Task == RestorationTask.SuperResolution && Scale is < 2 or > 16)
            throw new ArgumentException($"scale must be 2..16, got {Scale}");
        if (Task == RestorationTask.Denoise && !(NoiseSigma > 0))
            throw new ArgumentException($"denoise needs a noise sigma > 0, got {NoiseSigma}");
        if (Task == RestorationTask.Deblock && Quality is < 1 or > 100)
            throw new ArgumentException($"JPEG quality must be 1..100, got {Quality}");
        if (Task == RestorationTask.Deblur && !(BlurSigma > 0))
            throw new ArgumentException($"deblur needs a blur sigma > 0, got {BlurSigma}");
    }

    /// <summary>
    /// The degraded input for one clean image. Each image draws noise from its own stream of the seed, keyed
    /// by its name, so a result does not depend on which other files are in the folder or their order.
    /// Noise is left unclipped and unrounded, as in the denoising papers.
    /// </summary>
    public Image Degrade(Image clean, string name)
    {
        ulong stream = SeededRandom.StableHash(name);
        switch (Task)
        {
            case RestorationTask.SuperResolution:
                return Resize.ByFactor(clean, 1.0 / Scale, ResizeMethod.Bicubic);
            case RestorationTask.Denoise:
                return Imaging.Degrade.AddGaussianNoise(clean, NoiseSigma, Seed ^ stream, clip: false);
            case RestorationTask.Deblock:
                return Imaging.Degrade.Jpeg(clean, Quality);
            default:
                var blurred = Imaging.Degrade.GaussianBlur(clean, BlurSigma);
                return NoiseSigma > 0 ? Imaging.Degrade.AddGaussianNoise(blurred, NoiseSigma, Seed ^ stream, clip: false) : blurred;
        }
    }

    /// <summary>The clean image cropped as the protocol says: to a multiple of the scale for SR (top-left anchored).</summary>
    public Image PrepareTarget(Image clean)
    {
        if (Task != RestorationTask.SuperResolution) return clean;
        int w = clean.Width - clean.Width % Scale, h = clean.Height - clean.Height % Scale;
        if (w == 0 || h == 0)
            throw new ArgumentException($"a {clean.Width}x{clean.Height} image is smaller than the scale {Scale}");
        return w == clean.Width && h == clean.Height ? clean : clean.Crop(0, 0, w, h);
    }
}
