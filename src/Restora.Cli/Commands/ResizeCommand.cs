using Restora.Imaging;

namespace Restora.Cli.Commands;

/// <summary>restora resize INPUT -o OUT (--scale F | --width W --height H) [--method ...]</summary>
public sealed class ResizeCommand : CliCommand
{
    /// <inheritdoc/>
    public override string Name => "resize";
    /// <inheritdoc/>
    public override string Description => "resize exactly as MATLAB's imresize (bicubic antialiased when shrinking)";
    /// <inheritdoc/>
    public override IReadOnlyList<PositionalSpec> Positionals => [CommonOptions.Input];
    /// <inheritdoc/>
    public override IReadOnlyList<OptionSpec> Options =>
    [
        CommonOptions.Output,
        new("--scale", "resize factor (0.5 halves)", "F"),
        new("--width", "output width (with --height)", "W"),
        new("--height", "output height (with --width)", "H"),
        new("--method", "bicubic (default), bilinear, nearest or lanczos3", "NAME"),
    ];
    /// <inheritdoc/>
    public override bool WritesImages => true;

    /// <inheritdoc/>
    public override int Run(Arguments args)
    {
        var common = CommonOptions.From(args);
        string input = args.Positionals[0];
        string output = args.Require("-o");
        ResizeMethod method;
        try { method = Resize.ParseMethod(args.Get("--method") ?? "bicubic"); }
        catch (ArgumentException e) { throw new UserError(e.Message); }
        bool byScale = args.IsSet("--scale");
        bool bySize = args.IsSet("--width") || args.IsSet("--height");
        if (byScale == bySize) throw new UserError("resize: give either --scale F or --width W --height H");
        double scale = args.GetDouble("--scale", 0, 1e-4, 64);
        int width = args.GetInt("--width", 0, 1, 1 << 20), height = args.GetInt("--height", 0, 1, 1 << 20);
        if (bySize && (width == 0 || height == 0)) throw new UserError("resize: --width and --height go together");

        var jobs = Batch.Plan("resize", input, output);
        var outcomes = Batch.Run("resize", jobs, common, (image, _) => byScale
            ? Resize.ByFactor(image, scale, method)
            : Resize.ToSize(image, width, height, method));
        return Batch.Report("resize", outcomes, common.Json);
    }
}
