using Basin.Statistics;
using Xunit;

namespace Basin.Tests.Statistics;

public class SignErrorTests
{
    private static IReadOnlyDictionary<string, string> C(string data, string a, string b, string seed = "0") =>
        new Dictionary<string, string> { ["data"] = data, ["a"] = a, ["b"] = b, ["seed"] = seed };

    // A 2×2 grid in data set d: (a0 b0), (a1 b0), (a0 b1), (a1 b1); then a model in data set e and a second seed in d.
    private static readonly IReadOnlyDictionary<string, string>[] Grid = [C("d", "0", "0"), C("d", "1", "0"), C("d", "0", "1"), C("d", "1", "1"), C("e", "0", "0"), C("d", "0", "0", "1")];
    private static readonly double[] Gap = [10, 20, 11, 30, 50, 40];
    private static readonly double[] GapError = [1, 1, 1, 1, 1, 1];

    [Fact]
    public void CountsOneAxisPairsBeyondNoiseWorkedByHand()
    {
        // One-axis pairs in d, seed 0: a@b0 (10 vs 20), a@b1 (11 vs 30), b@a0 (10 vs 11), b@a1 (20 vs 30). The noise bar is
        // 2·√2 = 2.83, so b@a0 is dropped. The data-only pair (model 4) and the seed-only pair (model 5) are no pairs.
        // μ = [1, 2, 3, 1.5]: a@b0 right (0), a@b1 wrong (1), b@a1 wrong (1) → "a @ d" 0.5 over 2 kept, "b @ d" 1 over 1.
        double[] measure = [1, 2, 3, 1.5, 0, 0];
        var r = SignError.Compute(Grid, measure, new double[6], Gap, GapError, minimumKept: 1);
        Assert.Equal(4, r.Pairs);
        Assert.Equal(3, r.Kept);
        var a = r.Environments.Single(e => e.Environment == "a @ d");
        var b = r.Environments.Single(e => e.Environment == "b @ d");
        Assert.Equal((2, 2, 0.5), (a.Pairs, a.Kept, a.Error));
        Assert.Equal((2, 1, 1.0), (b.Pairs, b.Kept, b.Error));
        Assert.Equal(0.75, r.Mean, 12);
        Assert.Equal(1.0, r.Worst, 12);
        Assert.Equal("b @ d", r.WorstEnvironment);
        // With at least 2 kept pairs required, only "a @ d" counts.
        var strict = SignError.Compute(Grid, measure, new double[6], Gap, GapError, minimumKept: 2);
        Assert.Equal((0.5, 0.5, "a @ d"), (strict.Mean, strict.Worst, strict.WorstEnvironment));
    }

    [Fact]
    public void AMeasureDifferenceWithinItsOwnNoiseCountsHalf()
    {
        // The same μ with standard errors of 2 on every model: each kept pair's |Δμ| ≤ 2√2, so each counts ½.
        double[] measure = [1, 2, 3, 1.5, 0, 0];
        var r = SignError.Compute(Grid, measure, [2, 2, 2, 2, 2, 2], Gap, GapError, minimumKept: 1);
        Assert.All(r.Environments, e => Assert.Equal(0.5, e.Error, 12));
        // An exact measure with equal values is a tie too.
        var tied = SignError.Compute(Grid, [5, 5, 5, 5, 5, 5], new double[6], Gap, GapError, minimumKept: 1);
        Assert.Equal(0.5, tied.Worst, 12);
    }
}
