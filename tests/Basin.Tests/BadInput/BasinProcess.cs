using System.Diagnostics;

namespace Basin.Tests.BadInput;

/// <summary>
/// Runs basin as its own process (<c>dotnet Basin.Cli.dll …</c>), as a user does: a crash, a stack overflow or a native
/// abort shows as its exit code here instead of taking the test host down, and the exit code is the process's.
/// </summary>
internal static class BasinProcess
{
    public static (int Code, string Out, string Error) Run(params string[] args) => Run(new Dictionary<string, string>(), args);

    public static (int Code, string Out, string Error) Run(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "Basin.Cli.dll"), .. args])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        foreach (var (key, value) in environment) start.Environment[key] = value;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        string stderr = process.StandardError.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            return (-1, stdout.Result, stderr + "\n(killed after 5 minutes: a hang)");
        }
        return (process.ExitCode, stdout.Result, stderr);
    }
}
