using Restora.Imaging;
using Restora.Models;
using Restora.Models.Formats;
using Restora.Models.Upscaling;
using Restora.Models.Zoo;

namespace Restora;

/// <summary>How <see cref="RestorationModel.Open"/> finds, installs and runs a model.</summary>
public sealed record ModelOpenOptions
{
    /// <summary>
    /// Threads Restora computes with, for the whole process (<see cref="Core.Compute.Threads"/>); null leaves the
    /// current setting (every core by default). Any count gives the same output bits.
    /// </summary>
    public int? Threads { get; init; }

    /// <summary>Where catalog models are installed (default <c>$RESTORA_HOME/models</c>, else <c>~/.cache/restora</c>).</summary>
    public string? ModelCache { get; init; }

    /// <summary>Told what happens while opening (a model being installed from npm, a file being unwrapped); never the console.</summary>
    public Action<string>? Log { get; init; }
}

/// <summary>How one <see cref="RestorationModel.Restore(RestoraImage, RestoreOptions?, CancellationToken)"/> runs.</summary>
public sealed record RestoreOptions
{
    /// <summary>The defaults: the model's own task and scale, the tile chosen from free memory, sigma estimated.</summary>
    public static RestoreOptions Default { get; } = new();

    /// <summary>
    /// Tile side in input pixels: null chooses it to fit a 1 GB activation budget, 0 restores the whole image in one
    /// pass. Any tile size gives the same pixels (tiles overlap by the network's receptive radius).
    /// </summary>
    public int? Tile { get; init; }

    /// <summary>
    /// Activation memory a tile may use when <see cref="Tile"/> is null, in bytes (null: 1 GB). A larger budget means
    /// larger tiles, less overlap recomputed and more memory; the pixels are the same.
    /// </summary>
    public long? MemoryBudgetBytes { get; init; }

    /// <summary>
    /// The noise sigma (0..255) a denoiser is told; null estimates it from each image
    /// (<see cref="NoiseEstimate.Sigma"/>). Only for models whose task has a noise level.
    /// </summary>
    public double? NoiseSigma { get; init; }

    /// <summary>The JPEG quality (1..100) a deblocker is told; null takes the task's default. Only for deblocking models.</summary>
    public double? JpegQuality { get; init; }

    /// <summary>The enlargement the caller expects; a model of another scale is an <see cref="ArgumentException"/>. Null accepts the model's own.</summary>
    public int? Scale { get; init; }

    /// <summary>Any other parameter of the model's task by name (as <c>restora</c> spells its options without dashes: "blur").</summary>
    public IReadOnlyDictionary<string, double>? Parameters { get; init; }

    /// <summary>Told after every tile; reports arrive on the restoring thread (a <see cref="Progress{T}"/> posts them on).</summary>
    public IProgress<TileProgress>? Progress { get; init; }

    /// <summary>Told what the restore decided for itself (the noise sigma it estimated); never the console.</summary>
    public Action<string>? Log { get; init; }
}

/// <summary>
/// A restoration network opened for use: super-resolution, denoising, JPEG deblocking or deblurring, from the catalog
/// (installed with npm on first use), from the networks Restora ships, or from a file (.safetensors, .pth/.pt, ncnn
/// .param, Keras model.json). Every model restores through the same tiled pipeline, which keeps gray images gray,
/// carries alpha over, keeps 16-bit images 16-bit, and gives the same pixels whatever the tile size.
/// </summary>
/// <remarks>One restore at a time per instance (calls from several threads take turns); open one instance per thread to run in parallel.</remarks>
public sealed class RestorationModel : IDisposable
{
    readonly IRestorationModel model;
    readonly object gate = new();
    bool disposed;

    RestorationModel(IRestorationModel model) => this.model = model;

    /// <summary>
    /// Opens <paramref name="nameOrPath"/>: a catalog or shipped name ("restora-denoise", "esrgan-slim-x4") or a model
    /// file. An unknown name, a missing file or a file no format reads is an <see cref="ArgumentException"/>; a
    /// damaged file an <see cref="InvalidDataException"/>; a failed install a <see cref="ModelStoreException"/>; each
    /// message is one line naming it.
    /// </summary>
    /// <param name="nameOrPath">A model name from <see cref="KnownNames"/>, or a path.</param>
    /// <param name="options">Threads, the model cache, a log callback.</param>
    public static RestorationModel Open(string nameOrPath, ModelOpenOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(nameOrPath);
        options ??= new ModelOpenOptions();
        if (options.Threads is int threads) Core.Compute.Threads = threads;
        var store = options.ModelCache is string cache ? new ModelStore(cache) : null;
        return new RestorationModel(ModelLoader.Open(nameOrPath, store, options.Log));
    }

    /// <summary>Wraps a model opened through <see cref="ModelLoader"/> or a format of one's own.</summary>
    public static RestorationModel From(IRestorationModel model) => new(model ?? throw new ArgumentNullException(nameof(model)));

    /// <summary>Every model name <see cref="Open"/> knows: the catalog's, then the shipped networks found beside the program.</summary>
    public static IReadOnlyList<string> KnownNames =>
        [.. ModelCatalog.All.Select(m => m.Name), .. TrainedModels.Shipped.Select(Path.GetFileNameWithoutExtension).OfType<string>()];

    /// <summary>The model's name (the catalog name, or the file's).</summary>
    public string Name => model.Name;

    /// <summary>One line describing it.</summary>
    public string Description => model.Description;

    /// <summary>What it restores: "sr", "denoise", "deblock" or "deblur" (the names <c>restora --task</c> takes).</summary>
    public string Task => model.Task.Name;

    /// <summary>Its enlargement: 2 or 4 for super-resolution, 1 for the same-size tasks.</summary>
    public int Scale => model.Scale;

    /// <summary>The model as the rest of Restora sees it, for what the facade does not cover (benchmarks, evaluation).</summary>
    public IRestorationModel Inner => model;

    /// <summary>
    /// <paramref name="image"/> restored with the model's own task and scale, as a new image carrying the input's
    /// metadata. Cancellation is checked before starting and after every tile (<see cref="OperationCanceledException"/>).
    /// </summary>
    /// <param name="image">The input; not modified.</param>
    /// <param name="options">Tile size, task parameters, progress and log; null for the defaults.</param>
    /// <param name="cancellationToken">Stops the restore between tiles.</param>
    public RestoraImage Restore(RestoraImage image, RestoreOptions? options = null, CancellationToken cancellationToken = default) =>
        new(Restore((image ?? throw new ArgumentNullException(nameof(image))).Image, options, cancellationToken));

    /// <summary>
    /// <paramref name="image"/> restored, for programs that load and save with <see cref="ImageFile"/> themselves: as
    /// <see cref="Restore(RestoraImage, RestoreOptions?, CancellationToken)"/>.
    /// </summary>
    /// <param name="image">The input; not modified.</param>
    /// <param name="options">Tile size, task parameters, progress and log; null for the defaults.</param>
    /// <param name="cancellationToken">Stops the restore between tiles.</param>
    public Image Restore(Image image, RestoreOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        options ??= RestoreOptions.Default;
        var settings = Settings(options);
        cancellationToken.ThrowIfCancellationRequested();
        if (model.Task.Parameters.Any(p => p.Name == "sigma") && options.NoiseSigma is null)
        {
            double sigma = NoiseEstimate.Sigma(image);
            options.Log?.Invoke($"estimated noise sigma {sigma:0.0}");
            settings = settings with { ToldNoiseSigma = sigma };
        }
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            model.Tile = options.Tile switch { null => 0, 0 => TiledUpscaler.WholeImage, int t when t > 0 => t,
                int t => throw new ArgumentOutOfRangeException(nameof(options), $"tile must be 0 (whole image) or positive, got {t}") };
            model.TileBudgetBytes = options.MemoryBudgetBytes is long budget
                ? budget > 0 ? budget : throw new ArgumentOutOfRangeException(nameof(options), $"the memory budget must be positive, got {budget}")
                : 0;
            var progress = options.Progress;
            // The pipeline reports after every tile; throwing from there is the check between tiles, so cancelling
            // needs no hook inside the tiler and costs nothing when no token is given.
            model.TileProgress = progress is null && !cancellationToken.CanBeCanceled ? null : (done, total) =>
            {
                progress?.Report(new TileProgress(done, total));
                cancellationToken.ThrowIfCancellationRequested();
            };
            try
            {
                var result = model.Restore(image, settings);
                result.Metadata ??= image.Metadata;
                return result;
            }
            finally { model.TileProgress = null; }
        }
    }

    /// <summary>The task settings <paramref name="options"/> give, checked against the task's bounds.</summary>
    TaskSettings Settings(RestoreOptions options)
    {
        if (options.Scale is int wanted && wanted != Scale)
            throw new ArgumentException($"{Name} enlarges x{Scale}, not x{wanted}; pick a model of that scale");
        var given = new Dictionary<string, StrengthRange>(StringComparer.Ordinal);
        foreach (var (name, value) in options.Parameters ?? new Dictionary<string, double>()) given[name] = StrengthRange.Fixed(value);
        if (options.NoiseSigma is double sigma) given["sigma"] = StrengthRange.Fixed(sigma);
        if (options.JpegQuality is double quality) given["quality"] = StrengthRange.Fixed(quality);
        if (model.Task.Enlarges) given["scale"] = StrengthRange.Fixed(Scale);
        var settings = new TaskSettings { Task = model.Task, Parameters = new TaskParameters(given) };
        settings.Validate(); // an option the task does not take, or one out of bounds, fails here with its name
        return settings;
    }

    /// <summary>Releases the network's weights; the model cannot be used afterwards.</summary>
    public void Dispose()
    {
        lock (gate)
        {
            if (disposed) return;
            disposed = true;
            (model as IDisposable)?.Dispose();
        }
    }

    /// <summary>"restora-denoise (denoise, x1)".</summary>
    public override string ToString() => $"{Name} ({Task}, x{Scale})";
}
