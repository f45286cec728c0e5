namespace Basin.Cli.Infrastructure;

/// <summary>
/// Where a command writes: results to <see cref="Out"/>, progress and messages to <see cref="Error"/>; tables to
/// <see cref="Terminal"/> when standard output is a terminal (null otherwise, and in tests: plain text then).
/// </summary>
public sealed record CliContext(TextWriter Out, TextWriter Error, ProgressBar Progress, Spectre.Console.IAnsiConsole? Terminal = null);

/// <summary>One verb of the <c>basin</c> command.</summary>
public interface ICommand
{
    /// <summary>The verb, e.g. <c>train</c>.</summary>
    string Name { get; }

    /// <summary>One line for the command list.</summary>
    string Summary { get; }

    /// <summary>The options this command accepts.</summary>
    Arguments Options();

    /// <summary>Runs with parsed options; returns the exit code.</summary>
    int Run(Arguments args, CliContext context);
}
