using SharpFuzz;

namespace Restora.Fuzz;

/// <summary>
/// <c>Restora.Fuzz TARGET</c>: the AFL++ loop for one target (run under afl-fuzz on SharpFuzz-instrumented assemblies,
/// see scripts/fuzz.sh). <c>Restora.Fuzz replay TARGET FILE...</c>: runs inputs once and says which fail (exit 1).
/// <c>Restora.Fuzz seeds FOLDER</c>: writes the generated seeds (fuzz/seeds). <c>Restora.Fuzz list</c>: the targets.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        switch (args)
        {
            case ["list"]:
                foreach (var t in FuzzTargets.All.All) Console.WriteLine($"{t.Name,-14} {t.Description}");
                return 0;
            case ["seeds", var folder]:
                SeedMaker.Write(folder);
                return 0;
            case ["replay", var name, .. var files]:
                return Replay(FuzzTargets.All.Get(name), files);
            case [var name] when !name.StartsWith('-'):
                // Instrumented code may only run once SharpFuzz has set up AFL's shared memory, so even the target
                // lookup (the registry is in instrumented Restora.Core) waits for the first input.
                FuzzTarget? target = null;
                Fuzzer.OutOfProcess.Run(stream =>
                {
                    target ??= FuzzTargets.All.Get(name);
                    using var buffer = new MemoryStream();
                    stream.CopyTo(buffer);
                    // Unexpected exceptions escape to SharpFuzz, which reports them to AFL as crashes.
                    try { target.Run(buffer.ToArray()); }
                    catch (Exception e) when (target.Expects(e)) { }
                });
                return 0;
            default:
                Console.Error.WriteLine($"usage: Restora.Fuzz TARGET | replay TARGET FILE... | seeds FOLDER | list (targets: {string.Join(", ", FuzzTargets.All.Names)})");
                return 2;
        }
    }

    static int Replay(FuzzTarget target, string[] files)
    {
        int failed = 0, refused = 0;
        foreach (var file in files.SelectMany(f => Directory.Exists(f) ? Directory.EnumerateFiles(f) : [f]))
        {
            var input = File.ReadAllBytes(file);
            if (target.Try(input, out var e))
            {
                // Refusals are fine, but a seed that is refused explores little: say which.
                try { target.Run(input); }
                catch (Exception r) { refused++; Console.WriteLine($"{file}: refused: {r.Message}"); }
                continue;
            }
            failed++;
            Console.WriteLine($"{file}: {e!.GetType().Name}: {e.Message}");
            Console.WriteLine(e.StackTrace);
        }
        Console.WriteLine($"{target.Name}: {failed} failing input(s), {refused} refused as documented");
        return failed == 0 ? 0 : 1;
    }
}
