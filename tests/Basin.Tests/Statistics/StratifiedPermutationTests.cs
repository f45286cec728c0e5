using Basin.Statistics;
using Basin.Studies;
using Xunit;

namespace Basin.Tests.Statistics;

public class StratifiedPermutationTests
{
    [Fact]
    public void PooledKendallCountsPairsInsideStrataOnly()
    {
        string[] strata = ["a", "a", "b", "b"];
        // Stratum a concordant (+1), b discordant (−1): (1 − 1)/2 = 0; the cross-stratum pairs are not counted.
        Assert.Equal(0.0, StratifiedPermutation.PooledKendall(strata, [1, 2, 1, 2], [1, 2, 2, 1]), 12);
        Assert.Equal(1.0, StratifiedPermutation.PooledKendall(strata, [1, 2, 1, 2], [1, 2, 10, 20]), 12);
        Assert.True(double.IsNaN(StratifiedPermutation.PooledKendall(["a", "b", "c"], [1, 2, 3], [1, 2, 3])), "no stratum with two models");
    }

    [Fact]
    public void ExactPValueEnumeratesShufflesWithinStrata()
    {
        // Two strata of two: 4 shuffles, with |statistic| 1, 0, 0, 1 → p = 2/4 (worked by hand). Without strata the
        // same data over 4! = 24 orderings gives a different p, so the strata are really kept.
        string[] strata = ["a", "a", "b", "b"];
        double[] x = [1, 2, 1, 2], y = [1, 2, 1, 2];
        double p = StratifiedPermutation.PValue(strata, x, y, (a, b) => StratifiedPermutation.PooledKendall(strata, a, b));
        Assert.Equal(0.5, p, 12);
    }

    [Fact]
    public void AMetricThatOnlyTracksTheKnobSaysNothingWithinLevels()
    {
        // Six levels of a knob, two seeds each; the gap grows with the knob and differs between seeds at random; the
        // metric is the knob itself. Over all models τ is large and significant; within levels the metric is tied, p = 1.
        var rng = new Random(3);
        var knob = Enumerable.Range(0, 12).Select(i => (double)(i / 2)).ToArray();
        var gap = knob.Select(k => 10 * k + rng.NextDouble()).ToArray();
        var strata = knob.Select(k => k.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.True(Ranking.PermutationPValue(knob, gap, Ranking.KendallTau) < 0.001);
        Assert.Equal(1.0, StratifiedPermutation.PValue(strata, knob, gap, (a, b) => StratifiedPermutation.PooledKendall(strata, a, b)), 12);
        // A metric that follows the seeds' gaps within every level: all 6 within-level pairs concordant, exact p = 2/64.
        var follows = gap.Select(g => g + 100).ToArray();
        Assert.Equal(2.0 / 64, StratifiedPermutation.PValue(strata, follows, gap, (a, b) => StratifiedPermutation.PooledKendall(strata, a, b)), 12);
    }

    [Fact]
    public void MonteCarloPValueAgreesWithTheExactOne()
    {
        // 3 strata of 4 models: 24³ = 13 824 shuffles exactly, or 20 000 random ones: within 0.01 of each other.
        var rng = new Random(5);
        var strata = Enumerable.Range(0, 12).Select(i => (i / 4).ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var x = Enumerable.Range(0, 12).Select(_ => rng.NextDouble()).ToArray();
        var y = x.Select(v => v + 0.4 * rng.NextDouble()).ToArray();
        double Stat(IReadOnlyList<double> a, IReadOnlyList<double> b) => StratifiedPermutation.PooledKendall(strata, a, b);
        double exact = StratifiedPermutation.PValue(strata, x, y, Stat);
        double sampled = StratifiedPermutation.PValue(strata, x, y, Stat, permutations: 20_000, seed: 1, exactUpTo: 1);
        Assert.True(Math.Abs(exact - sampled) < 0.01, $"exact {exact} vs Monte Carlo {sampled}");
    }
}
