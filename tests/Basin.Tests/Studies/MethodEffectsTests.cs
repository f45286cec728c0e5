using System.Text;
using Basin.Metrics;
using Basin.Studies;
using Basin.Training;
using Xunit;

namespace Basin.Tests.Studies;

public class MethodEffectsTests
{
    [Fact]
    public void PairedDifferenceMatchesTheHandComputedInterval()
    {
        // d = (2, 3, 4): mean 3, s_d = 1, s.e. = 1/√3 = 0.57735; t(0.975, 2) = 4.303 → 3 ± 2.48437.
        var d = PairedDifference.Of([3, 5, 7], [1, 2, 3]);
        Assert.Equal(3, d.Mean, 12);
        Assert.Equal(1 / Math.Sqrt(3), d.StandardError, 12);
        Assert.Equal(3 - 4.303 / Math.Sqrt(3), d.Low, 9);
        Assert.Equal(3 + 4.303 / Math.Sqrt(3), d.High, 9);
        Assert.True(d.Excludes0);
        Assert.False(PairedDifference.Of([1, 2], [2, 1]).Excludes0);
        Assert.True(double.IsNaN(PairedDifference.Of([1], [0]).Low));
        Assert.Throws<ArgumentException>(() => PairedDifference.Of([1, 2], [1]));
        Assert.Equal(2.042, PairedDifference.StudentT975(30));
    }

    private static ModelResult Result(string method, int seed, double testError, double trace) => new(
        $"{method}_{seed}", new Dictionary<string, string> { ["regularizers"] = method, ["seed"] = seed.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        new TrainConfig { Seed = seed, Regularizer = method == "plain" ? null : method }, [], 0.1, 0.05, 0.4, testError,
        [new MetricResult("ggn.trace", trace, 1, new MetricCost(), 0, new Dictionary<string, string>(), new Dictionary<string, double>())],
        [], [], null, 0, 0, 10_000);

    [Fact]
    public void EachMethodIsComparedWithPlainTrainingOfTheSameSeed()
    {
        // Test errors (%): plain 20, 22, 24; trace 19, 20.5, 22.5 (mean 20.67) → paired Δ = −1, −1.5, −1.5: mean −1.3333,
        // s_d = 0.288675, s.e. 0.166667, half-width 4.303 · 0.166667 = 0.71717 → [−2.05, −0.62], excludes 0.
        // ggn.trace: plain 100, 110, 120 (mean 110), trace 55, 55, 66 → Δ = −45, −55, −54 in % of 110: mean −46.67.
        var results = new List<ModelResult>
        {
            Result("plain", 0, 0.20, 100), Result("plain", 1, 0.22, 110), Result("plain", 2, 0.24, 120),
            Result("trace", 0, 0.19, 55), Result("trace", 1, 0.205, 55), Result("trace", 2, 0.225, 66),
        };
        var md = new StringBuilder();
        new MethodEffectsSection().Write(md, new ReportInput(new StudySpec { Name = "regularizers" }, results, []));
        string row = md.ToString().Split('\n').Single(l => l.StartsWith("| trace", StringComparison.Ordinal));
        Assert.Contains("| 3 | 20.67 | -1.33 [-2.05, -0.62] † |", row);
        Assert.Contains("ggn.trace", row);
        Assert.Contains("-46.7 [", row);
        var none = new StringBuilder();
        new MethodEffectsSection().Write(none, new ReportInput(new StudySpec { Name = "weight-decay" }, results, []));
        Assert.Equal("", none.ToString());
    }
}
