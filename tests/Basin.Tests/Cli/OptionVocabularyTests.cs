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

    /// <summary>Options that several commands take under one name with a meaning of each command's own, and why.</summary>
    private static readonly Dictionary<string, string> OwnMeaning = new()
    {
        ["checkpoint"] = "what else may replace it differs (--model, --toy)",
        ["data"] = "the default is each command's: fashion-mnist for train and study, the checkpoint's own set elsewhere",
        ["model"] = "a zoo spec to train (train, study) or a model to measure (measure, spectrum, …)",
        ["out"] = "each command's folder holds its own files",
        ["json"] = "each command prints its own result",
        ["samples"] = "measure defaults to 10 000 samples, spectrum and landscape to 2 048 (their defaults would cost 5× at 10 000)",
        ["seed"] = "train seeds initialisation and order, landscape its directions, certify its split; measure and spectrum share SharedOptions' text",
        ["budget"] = "measure scales its products then its samples, spectrum its products only",
        ["epochs"] = "training epochs, or certify's posterior-optimisation epochs",
        ["lr"] = "SGD's base rate, or certify's Adam rate",
        ["until"] = "one criterion, worded for one model (train) or every model (study)",
        ["resume"] = "a training run, or a measurement",
        ["plan"] = "a study's or a benchmark's tasks",
        ["preset"] = "a study's or a benchmark's sizes",
        ["report-only"] = "a study's report or a benchmark's verdict",
        ["spec"] = "a study spec or a benchmark design",
        ["probes"] = "spectrum deflates by default and needs 8 probes for measure's error with 32 (docs/benchmarks.md, 2026-12-04); measure's probes feed diagonals too",
        ["slq-steps"] = "spectrum's deflated density needs 50 steps at the plot's resolution; measure's log-determinant keeps seed 000's 100 (deflation saved little there)",
        ["deflate"] = "spectrum deflates by default; measure only when asked (its estimators' defaults are the papers' counts)",
    };

    [Fact]
    public void SharedOptionsReadTheSameInEveryCommandThatTakesThem()
    {
        // An option several commands take is declared once (SharedOptions, DataOptions, the model and runtime
        // declarations) with one help text and default, or it is listed above with the reason its meaning is its command's.
        foreach (var group in All().GroupBy(o => o.Name).Where(g => g.Count() > 1 && !OwnMeaning.ContainsKey(g.Key)))
            Assert.True(group.Select(o => o.Help).Distinct().Count() == 1,
                $"--{group.Key} reads differently in {string.Join(", ", group.Select(o => o.Command))}: declare it once or say why its meaning is each command's");
        Assert.All(OwnMeaning.Keys, name => Assert.True(All().Count(o => o.Name == name) > 1, $"--{name} is no longer shared: drop it from the list"));
        var measure = All().Where(o => o.Command == "measure").ToDictionary(o => o.Name, o => o.Help);
        var spectrum = All().Where(o => o.Command == "spectrum").ToDictionary(o => o.Name, o => o.Help);
        foreach (var name in new[] { "lanczos-steps", "slq-starts", "seed", "rtol" }) Assert.Equal(measure[name], spectrum[name]);
    }

    [Fact]
    public void EveryNumberIsReadThroughATypedOptionWhoseDefaultIsTheLibrarys()
    {
        // Commands read numbers only through IntOption / NumberOption (Arguments.Int and Double are internal to them), so a default
        // is written once: in the typed option, most often taken from the library's settings record.
        string commands = Path.Combine(Architecture.LayoutTests.RootFolder(), "src", "Basin.Cli", "Commands");
        var raw = Directory.EnumerateFiles(commands, "*.cs", SearchOption.AllDirectories)
            .Where(f => System.Text.RegularExpressions.Regex.IsMatch(File.ReadAllText(f), @"args\.(Int|Double)\(")).Select(Path.GetFileName).ToList();
        Assert.True(raw.Count == 0, $"numbers read without a typed option in: {string.Join(", ", raw)}");
        // The help shows the library's own defaults, which a change there changes in the help too.
        var measure = All().Where(o => o.Command == "measure").ToDictionary(o => o.Name, o => o.Help);
        var defaults = new Basin.Metrics.MeasureSettings();
        Assert.EndsWith($"(default {defaults.TraceProbes})", measure["probes"]);
        Assert.Contains($"(default {defaults.LanczosSteps};", measure["lanczos-steps"]);
        Assert.Contains($"(default {defaults.FisherSubsets}; subset size N′ = {defaults.FisherSubsetSize})", measure["fisher-subsets"]);
        var train = All().Where(o => o.Command == "train").ToDictionary(o => o.Name, o => o.Help);
        Assert.EndsWith($"(default {new Basin.Training.TrainConfig().BatchSize})", train["batch-size"]);
        Assert.Contains("--threads must be between 1 and 4096", CliRunner.Run("info", "--threads", "0").Error);
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
