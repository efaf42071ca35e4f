using Restora.Cli.Commands;
using Restora.Core;
using Restora.Imaging;
using Restora.Models;

namespace Restora.Cli;

/// <summary>The `restora` command: the registry of commands and the one place errors become exit codes.</summary>
public static class Program
{
    /// <summary>Every command, one line each; `restora --help`, `restora list commands` and the README's list read it.</summary>
    public static Registry<CliCommand> Commands { get; } = new("command",
    [
        new MetricsCommand(),
        new ResizeCommand(),
        new DegradeCommand(),
        new EvalCommand(),
        new UpscaleCommand(),
        new RestoreCommand(RestorationTask.Denoise),
        new RestoreCommand(RestorationTask.Deblock),
        new RestoreCommand(RestorationTask.Deblur),
        new RestoreCommand(RestorationTask.Colorize),
        new RestoreCommand(TaskRegistry.Get("paired"), "translate"),
        new AutoCommand(),
        new ModelsCommand(),
        new TrainCommand(),
        new TrainAgentCommand(),
        new BenchCommand(),
        new ListCommand(),
        new ServeCommand(),
    ]);

    /// <summary>Runs the command line; returns the exit code (0 done, 1 the user's error, 2 a bug).</summary>
    public static int Main(string[] args)
    {
        try
        {
            return Dispatch(args);
        }
        catch (RestoraException e) // UserError, and the library's own one-line errors
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
        string? only = args.Length > 0 && !args[0].StartsWith('-') && !args[0].StartsWith('[') ? args[0] : null;
        var parser = new CommandLineParser(Commands.All, (command, arguments) => command.Run(arguments), only == "help" ? null : only);
        if (args.Length == 0)
        {
            // No command: the overview, on stderr, as a usage error.
            Console.SetOut(Console.Error);
            parser.Invoke(["--help"]);
            return 1;
        }
        if (args[0] == "help") args = args.Length > 1 ? [.. args[1..], "--help"] : ["--help"];
        if (!args[0].StartsWith('-') && !args[0].StartsWith('[') && Commands.Find(args[0]) is null)
            throw new UserError($"{Commands.Unknown(args[0])}; restora --help");
        return parser.Invoke(args);
    }

    static int Fail(string message, int code)
    {
        Console.Error.WriteLine($"restora: {OneLine(message)}");
        return code;
    }

    static string OneLine(string s) => s.ReplaceLineEndings(" ").Trim();
}
