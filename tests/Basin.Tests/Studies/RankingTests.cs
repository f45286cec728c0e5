using Basin.Studies;
using Xunit;

namespace Basin.Tests.Studies;

public class RankingTests
{
    [Fact]
    public void KendallTauWithoutTiesByHand()
    {
        // x = 1 2 3 4 5, y = 3 1 2 5 4: pairs (10): concordant 7, discordant 3 → τ = 4/10.
        Assert.Equal(0.4, Ranking.KendallTau([1, 2, 3, 4, 5], [3, 1, 2, 5, 4]), 12);
        Assert.Equal(1.0, Ranking.KendallTau([1, 2, 3], [10, 20, 30]), 12);
        Assert.Equal(-1.0, Ranking.KendallTau([1, 2, 3], [3, 2, 1]), 12);
    }

    [Fact]
    public void KendallTauBWithTiesByHand()
    {
        // x = 1 1 2 3, y = 1 2 2 3. n0 = 6; ties in x: 1 pair, ties in y: 1 pair.
        // Pairs: (1,2) x-tie; (1,3) C; (1,4) C; (2,3) y-tie; (2,4) C; (3,4) C → C = 4, D = 0.
        // τ-b = 4 / √(5 · 5) = 0.8.
        Assert.Equal(0.8, Ranking.KendallTau([1, 1, 2, 3], [1, 2, 2, 3]), 12);
        Assert.True(double.IsNaN(Ranking.KendallTau([1, 1, 1], [1, 2, 3])), "constant metric: τ undefined");
    }

    [Fact]
    public void SpearmanWithTiesUsesAverageRanks()
    {
        Assert.Equal([1.5, 1.5, 3, 4], Ranking.Ranks([5, 5, 7, 9]));
        // Ranks of x: 1.5 1.5 3 4; of y: 1 2 3 4. Pearson of those: cov = 2.25 + ... computed by hand:
        // mean 2.5 for both; dx = −1 −1 .5 1.5, dy = −1.5 −.5 .5 1.5;
        // Σdxdy = 1.5 + .5 + .25 + 2.25 = 4.5; Σdx² = 1 + 1 + .25 + 2.25 = 4.5; Σdy² = 5 → ρ = 4.5 / √22.5.
        Assert.Equal(4.5 / Math.Sqrt(22.5), Ranking.SpearmanRho([5, 5, 7, 9], [1, 2, 3, 4]), 12);
        Assert.Equal(-1.0, Ranking.SpearmanRho([1, 2, 3, 4], [8, 4, 2, 1]), 12);
    }

    [Fact]
    public void BootstrapIntervalContainsTheEstimateAndIsReproducible()
    {
        double[] x = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
        double[] y = [2, 1, 4, 3, 6, 5, 8, 7, 10, 9];
        var a = Ranking.Bootstrap(x, y, Ranking.KendallTau, 500, seed: 3);
        var b = Ranking.Bootstrap(x, y, Ranking.KendallTau, 500, seed: 3);
        Assert.Equal(a, b);
        Assert.True(a.Lower <= a.Value && a.Value <= a.Upper, $"{a}");
        Assert.True(a.Lower > 0, "a clearly positive association has a positive interval");
    }

    [Fact]
    public void GranulatedKendallAveragesWithinAxesThenOverAxes()
    {
        // A 2 × 2 grid over axes "wd" and "lr". Metric and gap:
        //   (wd0, lr0): m 1, gap 1     (wd1, lr0): m 2, gap 2
        //   (wd0, lr1): m 3, gap 4     (wd1, lr1): m 4, gap 3
        // Axis wd (lr fixed): group lr0 → τ(1,2 | 1,2) = 1; group lr1 → τ(3,4 | 4,3) = −1 → mean 0.
        // Axis lr (wd fixed): group wd0 → τ(1,3 | 1,4) = 1; group wd1 → τ(2,4 | 2,3) = 1 → mean 1.
        // Ψ = (0 + 1) / 2 = 0.5.
        var coords = new[]
        {
            new Dictionary<string, string> { ["wd"] = "0", ["lr"] = "0" }, new Dictionary<string, string> { ["wd"] = "1", ["lr"] = "0" },
            new Dictionary<string, string> { ["wd"] = "0", ["lr"] = "1" }, new Dictionary<string, string> { ["wd"] = "1", ["lr"] = "1" },
        };
        var (psi, perAxis) = Ranking.GranulatedKendall(coords, [1, 2, 3, 4], [1, 2, 4, 3]);
        Assert.Equal(0.0, perAxis["wd"], 12);
        Assert.Equal(1.0, perAxis["lr"], 12);
        Assert.Equal(0.5, psi, 12);
    }

    [Theory]
    [InlineData(4, 2.0 / 24)]
    [InlineData(5, 2.0 / 120)]
    [InlineData(6, 2.0 / 720)]
    public void PermutationPValueOfAPerfectOrderIsTwoOverNFactorial(int n, double expected)
    {
        // Only the identity and the reversal reach |τ| = 1 among the n! orderings.
        var x = Enumerable.Range(0, n).Select(i => (double)i).ToArray();
        Assert.Equal(expected, Ranking.PermutationPValue(x, x, Ranking.KendallTau), 12);
    }

    [Fact]
    public void PermutationPValueMatchesAnExactEnumerationByHand()
    {
        // n = 5, τ = 0.4 (10 pairs: 7 concordant, 3 discordant). Kendall's null distribution of the number of
        // discordant pairs for n = 5 (Mahonian numbers 1, 4, 9, 15, 20, 22, 20, 15, 9, 4, 1 over 120): |τ| ≥ 0.4
        // means ≤ 3 or ≥ 7 discordant pairs: 2·(1 + 4 + 9 + 15) = 58 orderings.
        double p = Ranking.PermutationPValue([1, 2, 3, 4, 5], [3, 1, 2, 5, 4], Ranking.KendallTau);
        Assert.Equal(58.0 / 120, p, 12);
        // Above 8 models the p-value comes from random permutations; n = 9 can still be enumerated to check it.
        double[] x = [1, 2, 3, 4, 5, 6, 7, 8, 9], y = [2, 1, 4, 3, 6, 9, 5, 8, 7];
        double exact = Ranking.PermutationPValue(x, y, Ranking.KendallTau, exactUpTo: 9);
        double sampled = Ranking.PermutationPValue(x, y, Ranking.KendallTau, exactUpTo: 8, permutations: 20_000, seed: 1);
        Assert.True(Math.Abs(sampled - exact) < 4 * Math.Sqrt(exact * (1 - exact) / 20_000) + 1e-4, $"Monte Carlo p {sampled} vs exact {exact}");
    }

    [Fact]
    public void DegenerateIntervalsAreFlagged()
    {
        var two = Ranking.Bootstrap([1, 2], [2, 4], Ranking.KendallTau);
        Assert.True(two.Degenerate, "2 models");
        var perfect = Ranking.Bootstrap([1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, 6], Ranking.KendallTau);
        Assert.Equal(perfect.Lower, perfect.Upper);
        Assert.True(perfect.Degenerate, "a perfect order resamples into itself");
        Assert.Equal(2.0 / 720, perfect.PValue, 12);
        var informative = Ranking.Bootstrap([1, 2, 3, 4, 5, 6, 7, 8], [2, 1, 4, 3, 6, 5, 8, 7], Ranking.KendallTau);
        Assert.False(informative.Degenerate, $"[{informative.Lower}, {informative.Upper}] on 8 models");
    }
}
