using Basin.Cli.Infrastructure;

namespace Basin.Cli.Commands.Completion;

/// <summary>
/// <c>basin completion bash|zsh</c>: prints a shell script that completes basin's commands, options and their
/// values (study axes, presets, metric ids, devices …) by asking basin itself through System.CommandLine's
/// <c>[suggest:POSITION]</c> directive, so the completions never fall behind the program.
/// </summary>
public sealed class CompletionCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "completion";

    /// <inheritdoc />
    public string Summary => "print a shell completion script: source <(basin completion bash), or zsh";

    /// <inheritdoc />
    public Arguments Options() => new Arguments(Name, [], positional: "shell", positionalHelp: "bash or zsh").Complete("shell", ["bash", "zsh"]);

    /// <inheritdoc />
    public int Run(Arguments args, CliContext context)
    {
        string shell = args.String("shell") ?? throw new UsageException("name the shell: basin completion bash (or zsh)");
        if (shell is not ("bash" or "zsh")) throw new UsageException($"completion scripts exist for bash and zsh, not '{shell}'");
        if (shell == "zsh") context.Out.WriteLine("autoload -U +X bashcompinit && bashcompinit");
        context.Out.Write(BashScript);
        return 0;
    }

    /// <summary>
    /// The bash function: the line up to the cursor goes to <c>basin [suggest:N] LINE</c>; its answers, one per
    /// line, are filtered by the word being completed; with none, bash completes file names (-o default).
    /// </summary>
    public const string BashScript = """
        _basin_complete() {
          local IFS=$'\n'
          local candidates
          candidates=$(basin "[suggest:${COMP_POINT}]" "${COMP_LINE}" 2>/dev/null)
          COMPREPLY=( $(compgen -W "${candidates}" -- "${COMP_WORDS[COMP_CWORD]}") )
        }
        complete -o default -F _basin_complete basin

        """;
}
