using Basin.Metrics;
using Basin.Studies;
using Basin.Training;
using Xunit;

namespace Basin.Tests.Studies;

public class StudyRankingTests
{
    private static ModelResult Model(string name, double trainError, double testError, double testLoss, double metric, int testSamples) => new(
        name, new Dictionary<string, string> { ["axis"] = name }, new TrainConfig(), [], 0.1, trainError, testLoss, testError,
        [new MetricResult("m", metric, double.NaN, new MetricCost(), 0, new Dictionary<string, string>(), new Dictionary<string, double>())],
        [], [], null, 0, 0, testSamples);

    [Fact]
    public void GapStandardErrorIsBinomialOverTheTestSet()
    {
        // e = 0.2 on 10 000 test samples: 100·√(0.2·0.8/10 000) = 0.4 pp.
        Assert.Equal(0.4, Model("a", 0.05, 0.2, 1, 0, 10_000).ErrorGapStandardError, 12);
        Assert.True(double.IsNaN(Model("a", 0.05, 0.2, 1, 0, 0).ErrorGapStandardError), "unknown test-set size");
    }

    [Fact]
    public void AdjacentGapsWithinTwoStandardErrorsAreCounted()
    {
        // Gaps 10, 10.5, 14, 20 pp with se ≈ 0.4 pp each (e ≈ 0.2, n = 10 000): 2·√(2·0.4²) ≈ 1.13 pp, so only the
        // first pair (0.5 pp apart) is within noise.
        var results = new[] { Model("a", 0.10, 0.20, 1, 1, 10_000), Model("b", 0.095, 0.20, 1, 2, 10_000), Model("c", 0.06, 0.20, 1, 3, 10_000), Model("d", 0.0, 0.20, 1, 4, 10_000) };
        Assert.Equal((1, 3), StudyRanking.AdjacentGapsWithinNoise(results));
        Assert.Equal((0, 0), StudyRanking.AdjacentGapsWithinNoise([Model("a", 0, 0.2, 1, 1, 0), Model("b", 0, 0.3, 1, 2, 0)]));
    }

    [Fact]
    public void MetricsAreAlsoRankedAgainstTestErrorAndLossAndByPearson()
    {
        var results = new[] { Model("a", 0.0, 0.10, 0.5, 1, 1000), Model("b", 0.0, 0.30, 0.4, 2, 1000), Model("c", 0.0, 0.20, 0.9, 3, 1000), Model("d", 0.0, 0.40, 0.7, 4, 1000), Model("e", 0.0, 0.50, 1.2, 5, 1000) };
        var r = Assert.Single(StudyRanking.Rank(results));
        // By hand, metric 1…5 against test error (.10, .30, .20, .40, .50): of the 10 pairs only (b, c) is discordant,
        // τ = (9 − 1)/10 = 0.8; against test loss (.5, .4, .9, .7, 1.2): (a, b) and (c, d) discordant, τ = 0.6. Pearson
        // against the error gap (10, 30, 20, 40, 50 pp): Σdx·dy = 90, Σdx² = 10, Σdy² = 1000 → r = 90/100 = 0.9.
        Assert.Equal(0.8, r.TauTestError.Value, 12);
        Assert.Equal(0.6, r.TauTestLoss.Value, 12);
        Assert.Equal(0.9, r.PearsonError.Value, 12);
        // Exact two-sided p over the 120 orderings: |τ| ≥ 0.8 needs ≤ 1 or ≥ 9 inversions, 1 + 4 + 4 + 1 = 10 orderings.
        Assert.Equal(10.0 / 120, r.TauTestError.PValue, 12);
    }
}
