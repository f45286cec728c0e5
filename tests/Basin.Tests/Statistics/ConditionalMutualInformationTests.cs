using Basin.Statistics;
using Xunit;

namespace Basin.Tests.Statistics;

public class ConditionalMutualInformationTests
{
    private static readonly IReadOnlyDictionary<string, string>[] Coordinates =
        new[] { "x", "x", "y", "y" }.Select(v => (IReadOnlyDictionary<string, string>)new Dictionary<string, string> { ["a"] = v }).ToArray();

    private static readonly double[] Gap = [1, 2, 3, 4];

    private static readonly double[] Exact = [0, 0, 0, 0];

    [Fact]
    public void OneSwapWorkedByHand()
    {
        // μ = [1, 2, 4, 3]: of the 12 ordered pairs, 10 have V_μ = V_g and 2 not, with p(V_g = ±) = p(V_μ = ±) = ½:
        // I = (5/6) ln(5/3) − (1/6) ln 3, H(V_g) = ln 2, Î = 0.349978 (= 1 − H_b(1/6)/ln 2).
        double expected = (5.0 / 6 * Math.Log(5.0 / 3) - Math.Log(3) / 6) / Math.Log(2);
        double empty = ConditionalMutualInformation.Normalized(Coordinates, [], [1, 2, 4, 3], Exact, Gap);
        Assert.True(Math.Abs(empty - expected) < 1e-12, $"Î(∅) = {empty} vs {expected}");
        // Given a: the cells x→x and y→y are perfectly (anti-)aligned (I = H = ln 2 each, weight 2/12 each), the mixed cells
        // have one gap sign (H = 0): Î = 1. The minimum over {∅, {a}} is the unconditioned one.
        double given = ConditionalMutualInformation.Normalized(Coordinates, ["a"], [1, 2, 4, 3], Exact, Gap);
        Assert.True(Math.Abs(given - 1) < 1e-12, $"Î(a) = {given}");
        var k = ConditionalMutualInformation.Minimum(Coordinates, ["a"], [1, 2, 4, 3], Exact, Gap);
        Assert.True(Math.Abs(k.Value - expected) < 1e-12 && k.Conditioning.Count == 0, $"K = {k.Value} given {string.Join("+", k.Conditioning)}");
    }

    [Fact]
    public void APerfectMeasureScoresOneAndAnIndependentOneZero()
    {
        Assert.Equal(1.0, ConditionalMutualInformation.Minimum(Coordinates, ["a"], [10, 20, 30, 40], Exact, Gap).Value, 12);
        // μ = [1, 2, 2, 1]: two ties split ½/½, the other pairs balance: every cell of the 2×2 table holds 3 — independent.
        Assert.Equal(0.0, ConditionalMutualInformation.Normalized(Coordinates, [], [1, 2, 2, 1], Exact, Gap), 12);
    }

    [Fact]
    public void ADifferenceWithinTheMeasuresNoiseIsATie()
    {
        // μ₀ and μ₁ differ by 0.05 with standard errors 0.1: a tie. With the rest perfectly ordered, the table is
        // (g−,μ−) = 5.5, (g−,μ+) = 0.5 and its mirror: Î = 1 − H_b(1/12)/ln 2.
        double expected = 1 - (-(1.0 / 12) * Math.Log(1.0 / 12) - (11.0 / 12) * Math.Log(11.0 / 12)) / Math.Log(2);
        double noisy = ConditionalMutualInformation.Normalized(Coordinates, [], [1, 1.05, 3, 4], [0.1, 0.1, 0, 0], Gap);
        Assert.True(Math.Abs(noisy - expected) < 1e-12, $"Î = {noisy} vs {expected}");
        Assert.Equal(1.0, ConditionalMutualInformation.Normalized(Coordinates, [], [1, 1.05, 3, 4], Exact, Gap), 12);
    }
}
