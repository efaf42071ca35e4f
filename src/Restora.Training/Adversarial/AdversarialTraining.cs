using Restora.Core;
using Restora.Core.Nn;
using Restora.Core.Optim;
using Restora.Models.Architectures;

namespace Restora.Training.Adversarial;

/// <summary>
/// The discriminator side of a GAN run, hooked into the pixel <see cref="Trainer"/>: in the joint phase it adds
/// the GAN, feature-matching and perceptual terms to the generator's loss, then steps the discriminator on the
/// generator's (detached) output against the clean target; in NoGAN's critic phase only the discriminator learns.
/// Its network and Adam state travel in the run's checkpoint under disc. and disc_optim.
/// </summary>
public sealed class AdversarialTraining : IStepHooks
{
    readonly AdversarialConfig config;
    readonly GanLoss gan;
    readonly Adam optimizer;
    readonly Func<Adam, LrScheduler> makeScheduler;
    readonly PerceptualLoss? perceptual;
    LrScheduler scheduler;
    readonly Dictionary<string, double> last = [];

    /// <param name="makeScheduler">The run's schedule for an optimizer (the discriminator follows the generator's shape).</param>
    public AdversarialTraining(AdversarialConfig config, Discriminator discriminator, double generatorLearningRate,
        Func<Adam, LrScheduler> makeScheduler, PerceptualLoss? perceptual = null)
    {
        config.Validate();
        this.config = config;
        Discriminator = discriminator;
        gan = GanLosses.Get(config.Loss);
        double lr = config.DiscriminatorLearningRate > 0 ? config.DiscriminatorLearningRate : generatorLearningRate;
        optimizer = new Adam(discriminator.Parameters(), lr, config.Beta1, config.Beta2);
        this.makeScheduler = makeScheduler;
        scheduler = makeScheduler(optimizer);
        this.perceptual = perceptual;
    }

    /// <summary>The discriminator being trained.</summary>
    public Discriminator Discriminator { get; }

    /// <summary>Its optimizer.</summary>
    public Adam Optimizer => optimizer;

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, double> LastLosses => last;

    /// <summary>Which phase an iteration is in: "generator", "critic" or "gan".</summary>
    public string Phase(int iteration) =>
        iteration < config.PretrainIterations ? "generator"
        : iteration < config.PretrainIterations + config.CriticIterations ? "critic"
        : "gan";

    /// <inheritdoc/>
    public bool UpdatesModel(int iteration) => Phase(iteration) != "critic";

    /// <inheritdoc/>
    public Tensor? ExtraLoss(int iteration, Tensor input, Tensor output, Tensor target)
    {
        last.Clear();
        Tensor? total = null;
        void Add(string name, Tensor term, double weight)
        {
            last[name] = term.Item();
            var weighted = F.Mul(term, (float)weight);
            total = total is null ? weighted : F.Add(total, weighted);
        }
        if (perceptual is not null)
        {
            var (content, style) = perceptual.Compute(output, target);
            if (config.PerceptualWeight > 0) Add("perceptual", content!, config.PerceptualWeight);
            if (config.StyleWeight > 0) Add("style", style!, config.StyleWeight);
        }
        if (Phase(iteration) != "gan") return total;

        // The discriminator's weights get no gradient from the generator's loss.
        foreach (var p in Discriminator.Parameters()) p.RequiresGrad = false;
        try
        {
            var fake = Discriminator.Judge(Shown(input, output));
            DiscriminatorOutput real;
            using (Autograd.NoGrad()) real = Discriminator.Judge(Shown(input, target));
            Tensor? adversarial = null, matching = null;
            int scales = fake.Logits.Count;
            for (int s = 0; s < scales; s++)
            {
                var term = F.Mul(gan.Generator(real.Logits[s], fake.Logits[s]), 1f / scales);
                adversarial = adversarial is null ? term : F.Add(adversarial, term);
                if (config.FeatureMatchingWeight > 0)
                {
                    // pix2pixHD: each of a scale's L feature maps weighs 4/L, each scale 1/scales.
                    var features = fake.Features[s];
                    for (int i = 0; i < features.Count; i++)
                    {
                        var l1 = F.Mul(F.L1Loss(features[i], real.Features[s][i]), 4f / features.Count / scales);
                        matching = matching is null ? l1 : F.Add(matching, l1);
                    }
                }
            }
            Add("g_gan", adversarial!, config.Weight);
            if (matching is not null) Add("feature_matching", matching, config.FeatureMatchingWeight);
        }
        finally
        {
            foreach (var p in Discriminator.Parameters()) p.RequiresGrad = true;
        }
        return total;
    }

    /// <inheritdoc/>
    public void AfterStep(int iteration, Tensor input, Tensor output, Tensor target)
    {
        if (Phase(iteration) != "generator")
        {
            optimizer.ZeroGrad();
            var real = Discriminator.Judge(Shown(input, target));
            var fake = Discriminator.Judge(Shown(input, output));
            Tensor? loss = null;
            int scales = real.Logits.Count;
            for (int s = 0; s < scales; s++)
            {
                var term = F.Mul(gan.Discriminator(real.Logits[s], fake.Logits[s]), 1f / scales);
                loss = loss is null ? term : F.Add(loss, term);
            }
            float value = loss!.Item();
            if (!float.IsFinite(value)) throw new TrainingDivergedException($"the discriminator's loss became {value} at iteration {iteration}: lower --disc-lr");
            last["d_loss"] = value;
            loss.Backward();
            optimizer.Step();
        }
        // The schedule is a function of the iteration: it steps in every phase.
        scheduler.Step();
    }

    /// <summary>What the discriminator judges: the image, after the network's input when it is conditional.</summary>
    Tensor Shown(Tensor input, Tensor image) => config.Conditional ? F.Cat([input, image]) : image;

    /// <inheritdoc/>
    public void SaveState(List<KeyValuePair<string, Tensor>> tensors, HashSet<string> integerKeys)
    {
        foreach (var (k, t) in Discriminator.StateDict()) tensors.Add(new("disc." + k, t));
        foreach (var k in Discriminator.IntegerStateKeys()) integerKeys.Add("disc." + k);
        foreach (var (k, t) in optimizer.StateDict()) tensors.Add(new("disc_optim." + k, t));
        integerKeys.Add("disc_optim.step");
    }

    /// <inheritdoc/>
    public void LoadState(IReadOnlyDictionary<string, Tensor> tensors, int iteration, string path)
    {
        var disc = Trainer.Section(tensors, "disc.");
        if (disc.Count == 0) throw new InvalidDataException($"{path}: has no discriminator, but the run is adversarial");
        Discriminator.LoadStateDict(disc);
        optimizer.LoadStateDict(Trainer.Section(tensors, "disc_optim."));
        scheduler = makeScheduler(optimizer);
        for (int i = 0; i < iteration; i++) scheduler.Step();
    }
}
