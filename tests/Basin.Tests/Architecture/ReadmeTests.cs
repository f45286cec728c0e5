using System.Text.RegularExpressions;
using Xunit;

namespace Basin.Tests.Architecture;

/// <summary>The README stays a front door: short, and every command it shows is one the code takes.</summary>
public class ReadmeTests
{
    private static string Read(string path) => File.ReadAllText(Path.Combine(Repository.Root(), path));

    /// <summary>The shell lines of the fenced bash blocks of <paramref name="markdown"/>, comments cut.</summary>
    private static IEnumerable<string> ShellLines(string markdown) =>
        Regex.Matches(markdown, "```bash\n(.*?)```", RegexOptions.Singleline).SelectMany(m => m.Groups[1].Value.Split('\n'))
            .Select(l => Regex.Replace(l, @"\s+#.*$", "").Trim()).Where(l => l.Length > 0);

    [Fact]
    public void TheReadmeIsShortAndOpensWithTheTwoCommands()
    {
        var lines = Read("README.md").Split('\n');
        Assert.True(lines.Length < 150, $"README.md has {lines.Length} lines: move detail to docs/");
        var first = ShellLines(Read("README.md")).Take(2).ToArray();
        Assert.Equal(["bash scripts/main.sh", "bash scripts/test.sh"], first);
        Assert.Contains("bash scripts/test.sh", Read(".ci/run").Replace("exec bash scripts/test.sh", "bash scripts/test.sh"));
    }

    [Theory]
    [InlineData("README.md")]
    [InlineData("docs/guide.md")]
    public void EveryBasinLineNamesACommandAndOnlyOptionsItTakes(string path)
    {
        var commands = Basin.Cli.Program.Commands.ToDictionary(c => c.Name, c => c.Options().Declared.Select(d => d.Name).ToHashSet());
        int checkedLines = 0;
        foreach (var line in ShellLines(Read(path)).Where(l => l.StartsWith("./basin ", StringComparison.Ordinal)))
        {
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words[1] is "--version" or "--help" or "help") continue;
            Assert.True(commands.TryGetValue(words[1], out var options), $"{path}: '{line}' names no command");
            foreach (var option in words.Skip(2).Where(w => w.StartsWith("--", StringComparison.Ordinal)).Select(w => w[2..].Split('=')[0]))
                Assert.True(option is "help" or "version" || options!.Contains(option), $"{path}: '{line}': {words[1]} takes no --{option}");
            checkedLines++;
        }
        Assert.True(checkedLines >= 8, $"{path}: only {checkedLines} basin lines found");
        // The files and folders the page links to exist.
        foreach (Match link in Regex.Matches(Read(path), @"\]\(((?!https?:)[^)#\s]+)(#[^)]*)?\)"))
        {
            string target = Path.GetFullPath(Path.Combine(Repository.Root(), Path.GetDirectoryName(path)!, link.Groups[1].Value));
            Assert.True(File.Exists(target) || Directory.Exists(target), $"{path} links to {link.Groups[1].Value}, which does not exist");
        }
    }
}
