using Xunit;

namespace Basin.Tests.BadInput;

/// <summary>A command-line option wins over its environment variable, which a given option leaves unread (through the real process).</summary>
public class PrecedenceTests
{
    [Theory]
    [InlineData("BASIN_THREADS", "abc", "--threads", "2", "threads              2")]
    [InlineData("BASIN_DEVICE", "gpu", "--device", "cpu", "device               cpu")]
    public void AnOptionWinsOverABadEnvironmentVariable(string variable, string value, string option, string optionValue, string expected)
    {
        var env = new Dictionary<string, string> { [variable] = value };
        var run = BasinProcess.Run(env, "info", option, optionValue);
        Assert.True(run.Code == 0, run.Error);
        Assert.Contains(expected, run.Out, StringComparison.Ordinal);
        // Without the option the variable is read, and a bad one is one line naming it.
        BadInputAssert.OneLine(BasinProcess.Run(env, "info"), 2, variable);
    }

    [Fact]
    public void ABadLibTorchVariableIsNamedAsTheVariable() =>
        BadInputAssert.OneLine(BasinProcess.Run(new Dictionary<string, string> { ["BASIN_LIBTORCH"] = "/no/such/folder" }, "info"), 2, "BASIN_LIBTORCH '/no/such/folder' is not a folder");
}
