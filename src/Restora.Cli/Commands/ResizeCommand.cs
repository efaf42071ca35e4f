using Restora.Imaging;

namespace Restora.Cli.Commands;

/// <summary>restora resize INPUT -o OUT (--scale F | --width W --height H) [--method ...]</summary>
public static class ResizeCommand
{
    public static int Run(string[] argv)
    {
        var args = Arguments.Parse("resize", argv, ["-o", "--output", "--scale", "--width", "--height", "--method"], Common.ImageOutputFlags);
        var common = CommonOptions.From(args);
        string input = args.ExpectPositionals("INPUT")[0];
        string output = args.Get("-o") ?? args.Require("--output");
        var method = Parse(() => Resize.ParseMethod(args.Get("--method") ?? "bicubic"));
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

    static T Parse<T>(Func<T> parse)
    {
        try { return parse(); }
        catch (ArgumentException e) { throw new UserError(e.Message); }
    }
}
