using Basin.Cli.Infrastructure;
using Basin.Tests.Cli;
using Xunit;

namespace Basin.Tests.BadInput;

/// <summary>Response files: expanded by Basin, with cycles, depth and size refused in one line (a self-include overflowed the stack, a pair of files spun forever).</summary>
public class ResponseFileTests
{
    [Fact]
    public void AFileThatIncludesItselfIsACycleNotACrash()
    {
        using var tmp = new TempFolder();
        File.WriteAllText(tmp.File("self.rsp"), "--epochs 2\n@" + tmp.File("self.rsp") + "\n");
        BadInputAssert.OneLine(BasinProcess.Run("train", "@" + tmp.File("self.rsp")), 2, "response file cycle: @self.rsp → @self.rsp");
    }

    [Fact]
    public void TwoFilesThatIncludeEachOtherAreACycleNotAHang()
    {
        using var tmp = new TempFolder();
        File.WriteAllText(tmp.File("a.rsp"), "@" + tmp.File("b.rsp"));
        File.WriteAllText(tmp.File("b.rsp"), "# b includes a\n@" + tmp.File("a.rsp"));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        BadInputAssert.OneLine(BasinProcess.Run("train", "@" + tmp.File("a.rsp")), 2, "response file cycle: @a.rsp → @b.rsp → @a.rsp");
        Assert.True(clock.Elapsed.TotalSeconds < 10);
    }

    [Fact]
    public void NestingIsBoundedAndMissingFilesAreNamed()
    {
        using var tmp = new TempFolder();
        for (int i = 0; i < 20; i++) File.WriteAllText(tmp.File($"{i}.rsp"), "@" + tmp.File($"{i + 1}.rsp"));
        File.WriteAllText(tmp.File("20.rsp"), "--list");
        BadInputAssert.OneLine(BasinProcess.Run("measure", "@" + tmp.File("0.rsp")), 2, $"response files nest deeper than {ResponseFiles.MaxDepth} levels");
        BadInputAssert.OneLine(BasinProcess.Run("measure", "@" + tmp.File("none.rsp")), 2, "response file @" + tmp.File("none.rsp") + ": not found");
        BadInputAssert.OneLine(BasinProcess.Run("measure", "@" + tmp.Path), 2, "is a folder");
        // Within the depth, nesting works: 5 levels down to --list.
        File.WriteAllText(tmp.File("15.rsp"), "# the end of a shorter chain\n\n  --list  \n");
        var listed = BasinProcess.Run("measure", "@" + tmp.File("11.rsp"));
        Assert.True(listed.Code == 0, listed.Error);
        Assert.Contains("hessian.trace", listed.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--lr 0.05", new[] { "--lr", "0.05" })]
    [InlineData("  --out \"my runs/a b\"  --seed 3 ", new[] { "--out", "my runs/a b", "--seed", "3" })]
    [InlineData("--name \"\"", new[] { "--name", "" })]
    [InlineData("a\"b c\"d", new[] { "ab cd" })]
    public void ALineSplitsLikeACommandLine(string line, string[] expected) => Assert.Equal(expected, ResponseFiles.Split(line).ToArray());

    [Fact]
    public void ATokenThatIsOnlyAnAtSignIsAnArgument() =>
        // "@" alone names no file: it reaches the parser as it is (here an unexpected argument), not the file system.
        Assert.Equal(new[] { "train", "@" }, ResponseFiles.Expand(["train", "@"]));
}
