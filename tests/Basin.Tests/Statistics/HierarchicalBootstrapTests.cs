using Basin.Statistics;
using Xunit;

namespace Basin.Tests.Statistics;

public class HierarchicalBootstrapTests
{
    [Fact]
    public void EveryDrawKeepsEachStratumsGridPointsAndSeeds()
    {
        // Data set A: 3 grid points × 2 seeds; B: 2 grid points × 1 seed. Each draw must hold 6 models of A and 2 of B,
        // and the models of a drawn grid point must come from that grid point (pairs of consecutive indices in A).
        string[] stratum = ["A", "A", "A", "A", "A", "A", "B", "B"];
        string[] group = ["g1", "g1", "g2", "g2", "g3", "g3", "h1", "h2"];
        int checkedDraws = 0;
        var result = HierarchicalBootstrap.Compare(stratum, group, (index, rng) =>
        {
            Assert.Equal(6, index.Count(i => stratum[i] == "A"));
            Assert.Equal(2, index.Count(i => stratum[i] == "B"));
            var a = index.Where(i => stratum[i] == "A").ToArray();
            for (int k = 0; k < a.Length; k += 2) Assert.Equal(group[a[k]], group[a[k + 1]]);
            if (rng is not null) checkedDraws++;
            return 0.3;
        }, draws: 200, seed: 1);
        Assert.Equal(200, checkedDraws);
        // A constant statistic: the interval has no width and no draw is ≤ 0: p = 2·(0 + 1)/(200 + 1).
        Assert.Equal((0.3, 0.3, 0.3), (result.Difference, result.Lower, result.Upper));
        Assert.Equal(2.0 / 201, result.PValue, 12);
    }

    [Fact]
    public void PerturbDrawsTheStatedNoise()
    {
        var rng = new Random(2);
        var draws = Enumerable.Range(0, 20_000).Select(_ => HierarchicalBootstrap.Perturb(5, 0.5, rng)).ToArray();
        double mean = draws.Average(), sd = Math.Sqrt(draws.Sum(d => (d - mean) * (d - mean)) / (draws.Length - 1));
        // Standard errors of the mean and the sd of 20 000 normal draws: 0.0035 and 0.0025; allow 5 of each.
        Assert.True(Math.Abs(mean - 5) < 0.018 && Math.Abs(sd - 0.5) < 0.013, $"mean {mean}, sd {sd}");
        Assert.Equal(5.0, HierarchicalBootstrap.Perturb(5, 0.5, null));
        Assert.Equal(5.0, HierarchicalBootstrap.Perturb(5, double.NaN, rng));
    }
}
