using System.Diagnostics;
using Xunit;

namespace Basin.Tests.BadInput;

/// <summary>A command-line option wins over its environment variable, which a given option leaves unread (through the real process).</summary>
public class PrecedenceTests
{
    private static (int Code, string Out, string Error) Basin(IReadOnlyDictionary<string, string> environment, params string[] args)
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
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr);
    }

    [Theory]
    [InlineData("BASIN_THREADS", "abc", "--threads", "2", "threads              2")]
    [InlineData("BASIN_DEVICE", "gpu", "--device", "cpu", "device               cpu")]
    public void AnOptionWinsOverABadEnvironmentVariable(string variable, string value, string option, string optionValue, string expected)
    {
        var env = new Dictionary<string, string> { [variable] = value };
        var run = Basin(env, "info", option, optionValue);
        Assert.True(run.Code == 0, run.Error);
        Assert.Contains(expected, run.Out, StringComparison.Ordinal);
        // Without the option the variable is read, and a bad one is one line naming it.
        BadInputAssert.OneLine(Basin(env, "info"), 2, variable);
    }

    [Fact]
    public void ABadLibTorchVariableIsNamedAsTheVariable() =>
        BadInputAssert.OneLine(Basin(new Dictionary<string, string> { ["BASIN_LIBTORCH"] = "/no/such/folder" }, "info"), 2, "BASIN_LIBTORCH '/no/such/folder' is not a folder");
}
