using Xunit;

namespace Basin.Tests.BadInput;

/// <summary>The contract every bad input is held to.</summary>
internal static class BadInputAssert
{
    /// <summary>
    /// Exit <paramref name="code"/>, exactly one line <c>basin: error: …</c> containing <paramref name="fragment"/> and
    /// last on standard error, and nothing on standard output.
    /// </summary>
    public static void OneLine((int Code, string Out, string Error) result, int code, string fragment)
    {
        Assert.True(result.Code == code, $"exit code {result.Code}, expected {code}; stderr: {result.Error}");
        var lines = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var errorLines = lines.Where(l => l.StartsWith("basin: ", StringComparison.Ordinal)).ToArray();
        Assert.True(errorLines.Length == 1, $"expected one error line, got: {result.Error}");
        Assert.StartsWith("basin: error: ", errorLines[0]);
        Assert.Contains(fragment, errorLines[0]);
        Assert.Equal(lines[^1], errorLines[0]);
        Assert.Equal("", result.Out);
    }
}
