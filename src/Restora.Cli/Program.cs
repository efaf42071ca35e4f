using Restora.Cli.Commands;
using Restora.Imaging;
using Restora.Models;

namespace Restora.Cli;

public static class Program
{
    const string Usage = """
        usage: restora <command> [options]

        commands:
          metrics REF TEST [--y] [--shave N] [--metrics psnr,ssim,ms-ssim,psnr-b] [--json]
          resize INPUT -o OUT (--scale F | --width W --height H) [--method bicubic|bilinear|nearest|lanczos3]
          degrade INPUT -o OUT [--blur SIGMA] [--downscale N] [--noise SIGMA] [--jpeg Q] [--seed N]
          eval --data DIR --task sr|denoise|deblock|deblur --method NAME [--scale N] [--sigma S]
               [--quality Q] [--blur SIGMA] [--seed N] [--blind] [--json]
          upscale INPUT -o OUT [--model NAME] [--scale N] [--tile PX] [--threads N] [--json]
          denoise INPUT -o OUT [--sigma S] [--model NAME|FILE] [--tile PX] [--json]
          deblock INPUT -o OUT [--quality Q] [--model NAME|FILE] [--tile PX] [--json]
          deblur  INPUT -o OUT [--model NAME|FILE] [--tile PX] [--json]
          (--tile 0: the whole image at once; without --tile a size is chosen; the pixels are the same either way)
          models list|pull NAME|info NAME [--json]
          train --task sr|denoise|deblock|deblur --arch NAME --data DIR -o MODEL.safetensors [--scale N]
                [--patch PX] [--batch N] [--iters N] [--lr X] [--resume CKPT] [--json]  (restora train --help for more)
          bench model NAME [--size PX] [--repeat N] [--json]
          bench conv [--cin C] [--cout C] [--size PX] [--kernel K] [--backward | --inference] [--threads N] [--json]
          bench ssim|resize [--size PX] [--repeat N] [--json]

        every command: --json, --overwrite, --threads N, --max-pixels N (pixels, or 50M for megapixels)
        commands that write images keep EXIF, XMP, IPTC and the ICC profile; --strip-metadata drops them
        """;

    public static int Main(string[] args)
    {
        try
        {
            return Dispatch(args);
        }
        catch (UserError e)
        {
            return Fail(e.Message, 1);
        }
        catch (ImageFileException e)
        {
            return Fail(e.Message, 1);
        }
        catch (Exception e)
        {
            // A bug, not the user's fault: say so and keep the stack for those who ask.
            if (Environment.GetEnvironmentVariable("RESTORA_DEBUG") == "1") Console.Error.WriteLine(e);
            return Fail($"internal error: {e.GetType().Name}: {OneLine(e.Message)} (set RESTORA_DEBUG=1 for details)", 2);
        }
    }

    static int Dispatch(string[] args)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
        {
            (args.Length == 0 ? Console.Error : Console.Out).WriteLine(Usage);
            return args.Length == 0 ? 1 : 0;
        }
        var rest = args[1..];
        if (rest.Contains("--help") || rest.Contains("-h"))
        {
            Console.WriteLine(args[0] == "train" ? TrainCommand.Help : Usage);
            return 0;
        }
        return args[0] switch
        {
            "metrics" => MetricsCommand.Run(rest),
            "resize" => ResizeCommand.Run(rest),
            "degrade" => DegradeCommand.Run(rest),
            "eval" => EvalCommand.Run(rest),
            "bench" => BenchCommand.Run(rest),
            "upscale" => UpscaleCommand.Run(rest),
            "denoise" => RestoreCommand.Run(RestorationTask.Denoise, rest),
            "deblock" => RestoreCommand.Run(RestorationTask.Deblock, rest),
            "deblur" => RestoreCommand.Run(RestorationTask.Deblur, rest),
            "models" => ModelsCommand.Run(rest),
            "train" => TrainCommand.Run(rest),
            _ => throw new UserError($"unknown command '{args[0]}' (use metrics, resize, degrade, eval, upscale, denoise, deblock, deblur, models, train or bench; restora --help)"),
        };
    }

    static int Fail(string message, int code)
    {
        Console.Error.WriteLine($"restora: {OneLine(message)}");
        return code;
    }

    static string OneLine(string s) => s.ReplaceLineEndings(" ").Trim();
}
