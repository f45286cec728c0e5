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
        // Sign flips of (2, 3, 4): sums ±9, ±5, ±3, ±1 → only the two extreme assignments reach |9|: p = 2/8.
        Assert.Equal(0.25, d.SignFlipP, 12);
        // Eight positive differences: p = 2/256, the test's floor; (1, −1) is symmetric: p = 1.
        Assert.Equal(2.0 / 256, PairedDifference.Of([1, 2, 3, 4, 5, 6, 7, 8], new double[8]).SignFlipP, 12);
        Assert.Equal(1, PairedDifference.SignFlip([1, -1]), 12);
        // (t_{0.975,2} + t_{0.80,2}) · s.e. = (4.303 + 1.061) / √3.
        Assert.Equal((4.303 + 1.061) / Math.Sqrt(3), d.MinimumDetectable, 9);
    }

    /// <summary>P(T ≤ t) for Student's t with <paramref name="df"/> degrees of freedom, by Simpson's rule on its density (written here, independent of the tables).</summary>
    private static double TCdf(double t, int df)
    {
        double Density(double x) => Math.Exp(LogGamma((df + 1) / 2.0) - LogGamma(df / 2.0) - 0.5 * Math.Log(df * Math.PI) - (df + 1) / 2.0 * Math.Log(1 + x * x / df));
        const int n = 20_000;
        double h = t / n, sum = Density(0) + Density(t);
        for (int i = 1; i < n; i++) sum += (i % 2 == 1 ? 4 : 2) * Density(i * h);
        return 0.5 + sum * h / 3;
    }

    /// <summary>ln Γ(x) by Lanczos' approximation (g = 7, 9 terms).</summary>
    private static double LogGamma(double x)
    {
        double[] c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
        x -= 1;
        double a = c[0], t = x + 7.5;
        for (int i = 1; i < 9; i++) a += c[i] / (x + i);
        return 0.5 * Math.Log(2 * Math.PI) + (x + 0.5) * Math.Log(t) - t + Math.Log(a);
    }

    [Fact]
    public void TheTQuantileTablesMatchTheIntegratedDensity()
    {
        // The tables hold 3–4 significant digits: their CDF is within 5e-4 of 0.975 and 0.80 for every df, and past the
        // table the asymptotic forms hold at df = 40 and 100.
        foreach (int df in Enumerable.Range(1, 30).Concat([40, 100]))
        {
            Assert.True(Math.Abs(TCdf(PairedDifference.StudentT975(df), df) - 0.975) < 5e-4, $"t975 df {df}");
            Assert.True(Math.Abs(TCdf(PairedDifference.StudentT80(df), df) - 0.80) < 5e-4, $"t80 df {df}");
        }
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
        // Held-out error is the test error here (no unseen images); all three differences negative: sign-flip p = 2/8, q the
        // same for one method; detectable (4.303 + 1.061) · 0.166667 = 0.894.
        Assert.Contains("| 3 | 20.67 | -1.33 [-2.05, -0.62] † | 0.25 | 0.25 | 0.89 | -1.33 [-2.05, -0.62] † |", row);
        Assert.Contains("ggn.trace", row);
        Assert.Contains("-46.7 [", row);
        // A model stopped at the cap leaves with its pair, and is named.
        var capped = results.Select(r => r.Name == "trace_2" ? r with { Config = r.Config with { Until = "train-loss<=0.01" }, Log = [new EpochLog(1, 0.05, 0.3, 0, 0, 0, 0)] } : r).ToList();
        var partial = new StringBuilder();
        new MethodEffectsSection().Write(partial, new ReportInput(new StudySpec { Name = "regularizers" }, capped, []));
        Assert.Contains("Excluded (stopped at the epoch cap short of the criterion, with their pair): trace_2", partial.ToString());
        // Δ = −1, −1.5 → mean −1.25.
        Assert.Contains("| 2 | 19.75 | -1.25 [", partial.ToString().Split('\n').Single(l => l.StartsWith("| trace", StringComparison.Ordinal)));
        var none = new StringBuilder();
        new MethodEffectsSection().Write(none, new ReportInput(new StudySpec { Name = "weight-decay" }, results, []));
        Assert.Equal("", none.ToString());
    }
}
