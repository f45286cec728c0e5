using Basin.Cli.Infrastructure;
using Xunit;

namespace Basin.Tests.Cli;

/// <summary>One vocabulary across commands: every option that takes a value names what it takes, and retired names stay retired.</summary>
public class OptionVocabularyTests
{
    private static IEnumerable<(string Command, string Name, bool IsFlag, string Help)> All() =>
        Basin.Cli.Program.Commands.SelectMany(c => c.Options().Declared.Select(d => (c.Name, d.Name, d.IsFlag, d.Help)));

    [Fact]
    public void EveryValueOptionHasATypedPlaceholder()
    {
        var untyped = All().Where(o => !o.IsFlag && !Placeholders.Has(o.Name)).Select(o => $"{o.Command} --{o.Name}").ToList();
        Assert.True(untyped.Count == 0, "no placeholder in Placeholders for: " + string.Join(", ", untyped));
    }

    [Fact]
    public void AnOptionIsAFlagEverywhereOrNowhereAndRetiredNamesAreGone()
    {
        foreach (var group in All().GroupBy(o => o.Name))
            Assert.True(group.Select(o => o.IsFlag).Distinct().Count() == 1, $"--{group.Key} is a flag in some commands and takes a value in others");
        // Lanczos steps are --lanczos-steps in every command (spectrum called them --steps before 2026-12-04).
        Assert.DoesNotContain(All(), o => o.Name == "steps");
        Assert.Contains(All(), o => o.Command == "spectrum" && o.Name == "lanczos-steps");
        Assert.Contains(All(), o => o.Command == "measure" && o.Name == "lanczos-steps");
    }

    [Fact]
    public void HelpAndTheMetricListCitePapersByAuthorAndYear()
    {
        // The declarations still say "seed 000" (the code's short name); what a user reads must not.
        Assert.Contains(All(), o => o.Help.Contains("seed 00", StringComparison.Ordinal));
        foreach (var command in Basin.Cli.Program.Commands.Select(c => c.Name).Append("measure --list"))
        {
            var run = CliRunner.Run([.. command.Split(' '), .. command.Contains("--list") ? Array.Empty<string>() : ["--help"]]);
            Assert.True((run.Out + run.Error).Length > 200, $"{command}: no help printed");
            Assert.DoesNotContain("seed 00", run.Out + run.Error, StringComparison.OrdinalIgnoreCase);
        }
        Assert.Contains("Granziol 2020", CliRunner.Run("measure", "--list").Out);
    }
}
