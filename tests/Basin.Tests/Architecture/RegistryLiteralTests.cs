using System.Text.RegularExpressions;
using Basin.Metrics;
using Basin.Training;
using Xunit;

namespace Basin.Tests.Architecture;

/// <summary>
/// Each capability is declared once (issue 29, style.md revised 2026-12-03): a metric's id and a step method's name are string
/// literals in their own file only — every other piece of code (studies, reports, the CLI, the benchmarks) reads the registry
/// or the declaring type's constant.
/// </summary>
public class RegistryLiteralTests
{
    /// <summary>
    /// Files where a method's name is also a word of another vocabulary, with what it means there: <c>none</c> is also no
    /// augmentation, <c>fisher</c> also the matrix <c>basin spectrum --matrix</c> reads.
    /// </summary>
    private static readonly Dictionary<(string File, string Word), string> OtherVocabulary = new()
    {
        [("src/Basin/Data/Augmentation.cs", "none")] = "no augmentation",
        [("src/Basin/Training/TrainConfig.cs", "none")] = "the default of Augment",
        [("src/Basin/Studies/Axes/AugmentationAxis.cs", "none")] = "a point of the augmentation axis",
        [("src/Basin.Cli/Commands/Train/TrainCommand.cs", "none")] = "the --augment completion and default",
        [("src/Basin.Cli/Commands/Spectrum/SpectrumCommand.cs", "fisher")] = "the --matrix choice",
        [("src/Basin/Metrics/KeskarSharpness.cs", "none")] = "prose: \"none: one deterministic ascent\"",
    };

    /// <summary>Every string literal of the library, the CLI, the benchmarks and the samples, by file (relative, with forward slashes).</summary>
    private static Dictionary<string, List<string>> Literals()
    {
        string root = LayoutTests.RootFolder();
        return new[] { "src", "benchmarks", "samples" }.SelectMany(folder => Directory.EnumerateFiles(Path.Combine(root, folder), "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
            .ToDictionary(f => Path.GetRelativePath(root, f).Replace('\\', '/'),
                f => Regex.Matches(File.ReadAllText(f), "\"((?:[^\"\\\\]|\\\\.)*)\"").Select(m => m.Groups[1].Value).ToList());
    }

    [Fact]
    public void AMetricIdIsALiteralOnlyInItsOwnFile()
    {
        var literals = Literals();
        var builtIn = MetricRegistry.All.Where(m => m.GetType().Assembly == typeof(MetricRegistry).Assembly).ToList();
        Assert.True(builtIn.Count >= 40, $"the registry lists {builtIn.Count} metrics");
        int literal = 0;
        foreach (var metric in builtIn)
        {
            // A literal that is the id, or a comma-separated list naming it; none for ids formatted from their parts (the norm products, the oracles).
            var files = literals.Where(f => f.Value.Any(l => l == metric.Id || l.Split(',').Contains(metric.Id))).Select(f => f.Key).ToList();
            Assert.True(files.Count <= 1, $"{metric.Id} is a literal in {files.Count} files: {string.Join(", ", files)}");
            if (files.Count == 0) continue;
            Assert.EndsWith($"/{metric.GetType().Name}.cs", files[0]);
            literal++;
        }
        Assert.True(literal >= 35, $"only {literal} ids found as literals: the scan does not see them");
    }

    [Fact]
    public void AStepMethodNameIsALiteralOnlyInItsOwnFile()
    {
        var literals = Literals();
        var builtIn = StepMethodRegistry.All.Where(m => m.Create.Method.DeclaringType?.Assembly == typeof(StepMethod).Assembly).ToList();
        Assert.Equal(6, builtIn.Count);
        foreach (var method in builtIn)
        {
            string own = method.Create(RegularizerSettings.Parse(method.Name)).GetType().Name;
            var files = literals.Where(f => f.Value.Any(l => l == method.Name || l.StartsWith(method.Name + ":", StringComparison.Ordinal)))
                .Select(f => f.Key).Where(f => !OtherVocabulary.ContainsKey((f, method.Name))).ToList();
            Assert.True(files.Count == 1 && files[0].EndsWith($"/{own}.cs", StringComparison.Ordinal),
                $"step method '{method.Name}' (declared in {own}.cs) is a literal in: {string.Join(", ", files)}");
        }
    }
}
