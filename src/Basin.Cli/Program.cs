using Basin.Cli.Commands.Certify;
using Basin.Cli.Commands.Info;
using Basin.Cli.Commands.Landscape;
using Basin.Cli.Commands.Measure;
using Basin.Cli.Commands.Spectrum;
using Basin.Cli.Commands.Study;
using Basin.Cli.Commands.Train;
using Basin.Cli.Infrastructure;
using Basin.Data;
using Basin.Native;
using Basin.Training;
using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace Basin.Cli;

/// <summary>Entry point of the <c>basin</c> command.</summary>
public static class Program
{
    internal static readonly ICommand[] Commands = [new Commands.Benchmark.BenchmarkCommand(), new StudyCommand(), new TrainCommand(), new MeasureCommand(), new SpectrumCommand(), new CertifyCommand(), new LandscapeCommand(), new InfoCommand(), new Commands.Completion.CompletionCommand()];

    /// <summary>Runs the command line and returns the process exit code.</summary>
    public static int Main(string[] args) =>
        Run(args, new CliContext(Console.Out, Console.Error, ProgressBar.ForConsole(), Console.IsOutputRedirected ? null : Spectre.Console.AnsiConsole.Console));

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
        if (args[0] == "help") args = [.. args.Skip(1), "--help"];
        try
        {
            var (root, options) = Root(context);
            args = ResponseFiles.Expand(args);
            var result = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
            if (result.Errors.Count > 0 && options.TryGetValue(result.CommandResult.Command, out var parsed)) parsed.Read(result);
            if (result.Errors.Count > 0)
            {
                var token = result.UnmatchedTokens.FirstOrDefault() ?? args[0];
                throw new UsageException(token.StartsWith('-')
                    ? $"unknown option {token}; basin takes a command first (basin --help)"
                    : $"unknown command '{token}'; commands: {string.Join(", ", Commands.Select(c => c.Name))}");
            }
            if (result.Action is HelpAction)
            {
                // The library names the program after the running assembly (Basin.Cli under `dotnet`): say basin.
                var help = new StringWriter();
                int code = result.Invoke(new InvocationConfiguration { Output = help, Error = context.Error });
                context.Out.Write(help.ToString().Replace($"  {RootCommand.ExecutableName} ", "  basin ", StringComparison.Ordinal));
                return code;
            }
            return result.Invoke(new InvocationConfiguration { Output = context.Out, Error = context.Error, EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (ExitCode(e) is int code)
        {
            context.Progress.Clear();
            context.Error.WriteLine($"basin: {(code == 70 ? $"internal error ({e.GetType().Name})" : "error")}: {OneLine(e.Message)}");
            // An internal error is a bug: BASIN_TRACE=1 adds where it arose, for the report.
            if (code == 70 && Environment.GetEnvironmentVariable("BASIN_TRACE") == "1") context.Error.WriteLine(e.ToString());
            return code;
        }
    }

    /// <summary>
    /// The command tree on System.CommandLine: one subcommand per <see cref="ICommand"/>, each action reading its
    /// options through <see cref="Arguments"/> (a parse error becomes the one-line <see cref="UsageException"/> there);
    /// <c>--help</c>, <c>--version</c> and the <c>[suggest]</c> completion directive come from the library, response files from
    /// <see cref="ResponseFiles"/>.
    /// </summary>
    internal static (RootCommand Root, Dictionary<Command, Arguments> Options) Root(CliContext context)
    {
        var root = new RootCommand("basin — is this minimum flat, and will it generalize?");
        var all = new Dictionary<Command, Arguments>();
        foreach (var command in Commands)
        {
            var options = command.Options();
            if (options.Declared.Any(o => o.Name == "device")) options.Complete("device", DeviceChoices.Names);
            var sub = options.ToCommand(command.Summary);
            sub.SetAction(result => command.Run(options.Read(result), context));
            root.Subcommands.Add(sub);
            all[sub] = options;
        }
        foreach (var version in root.Options.OfType<VersionOption>()) version.Action = new PrintVersion();
        return (root, all);
    }

    private sealed class PrintVersion : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            parseResult.InvocationConfiguration.Output.WriteLine($"basin {Studies.ModelResult.CodeVersion}");
            return 0;
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
        + string.Concat(Commands.Select(c => $"  {c.Name,-10} {Papers.Cite(c.Summary)}\n"));
}
