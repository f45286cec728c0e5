using System.Text.Json;
using Basin.Benchmark;
using Basin.Studies;
using Basin.Tests.Cli;
using Xunit;

namespace Basin.Tests.Benchmark;

public class VerdictReportTests
{
    [Fact]
    public void ReportOnlyRebuildsTheVerdictFromSavedResultsByteForByte()
    {
        using var tmp = new TempFolder();
        var results = BenchmarkScoresTests.Population();
        var spec = new StudySpec
        {
            Name = BenchmarkDesign.StudyName, Preset = "spec", Metrics = "hessian.trace,sharpness.keskar,baseline.train_loss,oracle.test_error_noisy_1pp",
            Models = results.Select(r => new StudyModel(r.Name, r.Config, r.Coordinates)).ToList(),
        };
        File.WriteAllText(Path.Combine(tmp.Path, StudyRunner.SpecFile), spec.ToJson());
        foreach (var r in results)
        {
            Directory.CreateDirectory(Path.Combine(tmp.Path, "models", r.Name));
            File.WriteAllText(Path.Combine(tmp.Path, "models", r.Name, "result.json"), JsonSerializer.Serialize(r, StudySpec.Options));
        }
        // A --verdict whose folder is a file is one line, before anything is written.
        File.WriteAllText(Path.Combine(tmp.Path, "plain"), "");
        var bad = CliRunner.Run("benchmark", "--report-only", "--out", tmp.Path, "--verdict", Path.Combine(tmp.Path, "plain", "v.md"));
        Assert.NotEqual(0, bad.Code);
        Assert.StartsWith("basin: error: --verdict's folder", bad.Error);
        Assert.Single(bad.Error.TrimEnd().Split('\n'));
        Assert.False(File.Exists(Path.Combine(tmp.Path, "verdict.md")), "nothing written");
        string verdictFile = Path.Combine(tmp.Path, "verdict-copy.md");
        var (code, output, error) = CliRunner.Run("benchmark", "--report-only", "--out", tmp.Path, "--verdict", verdictFile);
        Assert.True(code == 0, error);
        Assert.Contains("verdict: 1 of 2 measures trustworthy (hessian.trace τ = +1.00)", output);
        Assert.Matches(@"hessian\.trace\s+measure\s+\+1\.00", output);
        Assert.Contains("excluded (missed the criterion): d2_111_1", output);
        // Every model of the population trained 1 s and measured 1 s, of which its four metrics 0.1 s each: 2 s a model.
        Assert.Contains($"time per model (mean of {results.Count}): train 1.0 s, measure 0.4 s, extras 0.6 s → 1800 models per hour per process", output);
        string md = File.ReadAllText(Path.Combine(tmp.Path, "verdict.md"));
        Assert.Equal(md, File.ReadAllText(verdictFile));
        Assert.Contains("| d2_111_1 | 1 (CAP) |", md);
        foreach (var file in new[] { "verdict.json", "results.csv" }) Assert.True(File.Exists(Path.Combine(tmp.Path, file)), file);
        var again = CliRunner.Run("benchmark", "--report-only", "--out", tmp.Path);
        Assert.Equal(0, again.Code);
        Assert.Equal(md, File.ReadAllText(Path.Combine(tmp.Path, "verdict.md")));
        // A study folder that is not a benchmark is refused with one line.
        var other = spec with { Name = "weight-decay" };
        File.WriteAllText(Path.Combine(tmp.Path, StudyRunner.SpecFile), other.ToJson());
        var refused = CliRunner.Run("benchmark", "--report-only", "--out", tmp.Path);
        Assert.NotEqual(0, refused.Code);
        Assert.StartsWith("basin: error:", refused.Error.Split('\n').Last(l => l.Length > 0));
    }
}
