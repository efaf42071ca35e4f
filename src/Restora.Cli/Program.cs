namespace Restora.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        Console.Error.WriteLine("usage: restora <command> [options]");
        return args.Length == 0 ? 1 : 0;
    }
}
