namespace Restora.Training.Adversarial;

/// <summary>
/// The adversarial part of a training run (ESRGAN, pix2pix, DeOldify's NoGAN), as plain values stored in every
/// checkpoint. The generator's loss is pixel_weight·pixel + weight·GAN + feature_matching·FM + perceptual·VGG +
/// style·Gram; the discriminator learns with its own learning rate (TTUR). Phases: the generator alone for
/// <see cref="PretrainIterations"/>, then the discriminator alone for <see cref="CriticIterations"/>, then both.
/// </summary>
public sealed record AdversarialConfig
{
    /// <summary>Discriminator name (<see cref="Discriminators"/>).</summary>
    public string Discriminator { get; init; } = "vgg128";
    /// <summary>Its options ("features": "32").</summary>
    public Dictionary<string, string> DiscriminatorOptions { get; init; } = [];
    /// <summary>GAN loss name (<see cref="GanLosses"/>).</summary>
    public string Loss { get; init; } = "ragan";
    /// <summary>Weight of the GAN term in the generator's loss (ESRGAN: 0.005).</summary>
    public double Weight { get; init; } = 0.005;
    /// <summary>Weight of the pixel loss (ESRGAN: 0.01; pix2pix: 100 with GAN weight 1).</summary>
    public double PixelWeight { get; init; } = 1;
    /// <summary>Weight of pix2pixHD's feature matching on the discriminator's layers; 0 is off.</summary>
    public double FeatureMatchingWeight { get; init; }
    /// <summary>The discriminator's peak learning rate; 0 means the generator's.</summary>
    public double DiscriminatorLearningRate { get; init; }
    /// <summary>Adam's beta1 for both networks (ESRGAN 0.9, pix2pix 0.5).</summary>
    public double Beta1 { get; init; } = 0.9;
    /// <summary>Adam's beta2 for both networks (ESRGAN 0.99, pix2pix 0.999).</summary>
    public double Beta2 { get; init; } = 0.99;
    /// <summary>NoGAN: iterations at the start where only the generator learns, on the pixel loss.</summary>
    public int PretrainIterations { get; init; }
    /// <summary>NoGAN: iterations after that where only the discriminator learns.</summary>
    public int CriticIterations { get; init; }
    /// <summary>The discriminator also sees the network's input (pix2pix's conditional GAN; same-size tasks only).</summary>
    public bool Conditional { get; init; }
    /// <summary>Weight of the VGG perceptual loss; 0 is off.</summary>
    public double PerceptualWeight { get; init; }
    /// <summary>Weight of the Gram-matrix (style, texture) loss; 0 is off.</summary>
    public double StyleWeight { get; init; }
    /// <summary>A torchvision VGG-19 checkpoint (.pth or .safetensors) for the perceptual and style losses.</summary>
    public string? Vgg { get; init; }
    /// <summary>VGG layers and weights, "conv5_4" or "conv1_2:0.1,conv2_2:0.1,conv3_4:1,conv4_4:1,conv5_4:1".</summary>
    public string PerceptualLayers { get; init; } = "conv5_4";

    /// <summary>Checks every value; messages name the option.</summary>
    public void Validate()
    {
        Discriminators.Registry.Get(Discriminator);
        GanLosses.Get(Loss);
        if (Weight < 0 || PixelWeight < 0 || FeatureMatchingWeight < 0 || PerceptualWeight < 0 || StyleWeight < 0)
            throw new ArgumentException("loss weights must be >= 0");
        if (DiscriminatorLearningRate < 0) throw new ArgumentException($"--disc-lr must be positive, got {DiscriminatorLearningRate}");
        if (PretrainIterations < 0 || CriticIterations < 0) throw new ArgumentException("--pretrain-iters and --critic-iters must be >= 0");
        if (Beta1 is < 0 or >= 1 || Beta2 is < 0 or >= 1) throw new ArgumentException("Adam betas must be in [0, 1)");
        if ((PerceptualWeight > 0 || StyleWeight > 0) && Vgg is null)
            throw new ArgumentException("the perceptual and style losses need a VGG-19 checkpoint: --vgg FILE (torchvision's vgg19 .pth, or .safetensors)");
        PerceptualLoss.ParseLayers(PerceptualLayers);
    }
}
