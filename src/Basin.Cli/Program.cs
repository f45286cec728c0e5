using Basin.Cli.Commands.Certify;
using Basin.Cli.Commands.Info;
using Basin.Cli.Commands.Landscape;
using Basin.Cli.Commands.Measure;
using Basin.Cli.Commands.Spectrum;
using Basin.Cli.Commands.Study;
using Basin.Cli.Commands.Train;
using Basin.Cli.Infrastructure;
using Basin.Data;
using Basin.Training;

namespace Basin.Cli;

/// <summary>Entry point of the <c>basin</c> command.</summary>
public static class Program
{
    private static readonly ICommand[] Commands = [new StudyCommand(), new TrainCommand(), new MeasureCommand(), new SpectrumCommand(), new CertifyCommand(), new LandscapeCommand(), new InfoCommand()];

    /// <summary>Runs the command line and returns the process exit code.</summary>
    public static int Main(string[] args) =>
        Run(args, new CliContext(Console.Out, Console.Error, ProgressBar.ForConsole()));

    /// <summary>
    /// Runs <paramref name="args"/>. Exit codes: 0 success; 1 bad input data, checkpoint or a failed run
    /// (a library <see cref="ArgumentException"/> that a command did not check as command-line input); 2 a bad
    /// command line (<see cref="UsageException"/>, and <see cref="FormatException"/> of a spec given on it);
    /// 70 an internal error. Every failure prints one line, <c>basin: error: …</c>.
    /// </summary>
    public static int Run(IReadOnlyList<string> args, CliContext context)
    {
        if (args.Count == 0)
        {
            context.Error.Write(Usage());
            return 2;
        }
        if (args[0] is "--help" or "-h" or "help")
        {
            context.Out.Write(Usage());
            return 0;
        }
        if (args[0] == "--version")
        {
            context.Out.WriteLine($"basin {Studies.ModelResult.CodeVersion}");
            return 0;
        }
        var command = Commands.FirstOrDefault(c => c.Name == args[0]);
        try
        {
            if (command is null) throw new UsageException($"unknown command '{args[0]}'; commands: {string.Join(", ", Commands.Select(c => c.Name))}");
            var options = command.Options();
            if (args.Skip(1).Contains("--help"))
            {
                context.Out.Write(CommandUsage(command, options));
                return 0;
            }
            return command.Run(options.Parse(args.Skip(1).ToArray()), context);
        }
        catch (Exception e) when (ExitCode(e) is int code)
        {
            context.Progress.Clear();
            context.Error.WriteLine($"basin: {(code == 70 ? $"internal error ({e.GetType().Name})" : "error")}: {OneLine(e.Message)}");
            return code;
        }
    }

    private static int? ExitCode(Exception e) => e switch
    {
        UsageException or FormatException => 2,
        ArgumentException or DataFormatException or InvalidDataException or TrainingDivergedException or InvalidOperationException
            or IOException or UnauthorizedAccessException or OperationCanceledException => 1,
        _ => 70,
    };

    private static string OneLine(string message)
    {
        var first = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "";
        return first.Length > 400 ? first[..400] + "…" : first;
    }

    private static string Usage() =>
        "basin — is this minimum flat, and will it generalize?\n\nusage: basin COMMAND [options]   (basin COMMAND --help for its options)\n\ncommands:\n"
        + string.Concat(Commands.Select(c => $"  {c.Name,-10} {c.Summary}\n"));

    private static string CommandUsage(ICommand command, Arguments options) =>
        $"usage: basin {command.Name} [options]\n\n{command.Summary}\n\noptions:\n"
        + string.Concat(options.Declared.Select(o => $"  --{(o.IsFlag ? o.Name : o.Name + " VALUE"),-24} {o.Help}\n"));
}
