using Basin.Statistics;
using Xunit;

namespace Basin.Tests.Statistics;

public class BenjaminiHochbergTests
{
    [Fact]
    public void AdjustsByRankAndStepsUp()
    {
        // Sorted 0.01, 0.03, 0.04, 0.5 with m = 4: m·p/rank = 0.04, 0.06, 0.0533, 0.5; the step-up minimum from the top
        // gives 0.04, 0.0533, 0.0533, 0.5 — worked by hand.
        var q = BenjaminiHochberg.Adjust([0.01, 0.04, 0.03, 0.5]);
        double[] expected = [0.04, 0.16 / 3, 0.16 / 3, 0.5];
        for (int i = 0; i < 4; i++) Assert.True(Math.Abs(q[i] - expected[i]) < 1e-12, $"q[{i}] = {q[i]} vs {expected[i]}");
    }

    [Fact]
    public void LeavesNaNOutOfTheCountAndCapsAtOne()
    {
        var q = BenjaminiHochberg.Adjust([0.02, double.NaN, 0.9]);
        Assert.True(double.IsNaN(q[1]));
        Assert.Equal(0.04, q[0], 12);   // m = 2, not 3
        Assert.Equal(0.9, q[2], 12);
        // 0.7 and 0.8: m·p/rank = 1.4 and 0.8; q(1) = min(q(2) = 0.8, 1.4) = 0.8, both 0.8.
        Assert.Equal(0.8, BenjaminiHochberg.Adjust([0.7, 0.8])[0], 12);
        Assert.Equal(1.0, BenjaminiHochberg.Adjust([0.9, 3.0])[1], 12); // 2·3/2 = 3, capped
    }
}
