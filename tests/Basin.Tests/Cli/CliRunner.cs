using Basin.Cli;
using Basin.Cli.Infrastructure;

namespace Basin.Tests.Cli;

/// <summary>Runs the basin command in-process and captures what it prints.</summary>
internal static class CliRunner
{
    public static (int Code, string Out, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = Program.Run(args, new CliContext(output, error, new ProgressBar(error, interactive: false)));
        return (code, output.ToString(), error.ToString());
    }
}
