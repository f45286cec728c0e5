using Basin.Benchmark;
using Basin.Metrics;
using Basin.Studies;
using Basin.Training;
using Xunit;

namespace Basin.Tests.Benchmark;

public class BenchmarkScoresTests
{
    /// <summary>
    /// A synthetic population: 2 data sets × a 2×2×2 grid × 2 seeds. The held-out gap is 10 + 8a + 4b + 2c (+ 0.5 for seed 1)
    /// points; "perfect" is the gap itself, "knob" follows a only, the baseline train loss is noise, and one model missed
    /// its criterion.
    /// </summary>
    internal static List<ModelResult> Population()
    {
        var rng = new Random(11);
        var results = new List<ModelResult>();
        foreach (var data in new[] { "d1", "d2" })
            foreach (int a in new[] { 0, 1 })
                foreach (int b in new[] { 0, 1 })
                    foreach (int c in new[] { 0, 1 })
                        foreach (int seed in new[] { 0, 1 })
                        {
                            double gap = 10 + 8 * a + 4 * b + 2 * c + 0.5 * seed;
                            var coordinates = new Dictionary<string, string> { ["data"] = data, ["a"] = $"{a}", ["b"] = $"{b}", ["c"] = $"{c}", ["seed"] = $"{seed}" };
                            bool capped = data == "d2" && a == 1 && b == 1 && c == 1 && seed == 1;
                            var metrics = new List<MetricResult>
                            {
                                Metric("hessian.trace", gap, 0.01),
                                Metric("sharpness.keskar", a, 0),
                                Metric("baseline.train_loss", rng.NextDouble(), double.NaN),
                                Metric("oracle.test_error_noisy_1pp", 0, double.NaN),
                            };
                            var config = new TrainConfig { Until = "train-loss<=0.01", Seed = seed };
                            var log = new List<EpochLog> { new(1, 0.1, capped ? 0.5 : 0.005, 0, 1, gap / 100, 1) };
                            results.Add(new ModelResult($"{data}_{a}{b}{c}_{seed}", coordinates, config, log, capped ? 0.5 : 0.005, 0, 1, gap / 100,
                                metrics, [], [], null, 1, 1, TestSamples: 10_000, Unseen: new HeldOutEvaluation(50_000, 1, gap / 100)));
                        }
        return results;
    }

    private static MetricResult Metric(string id, double value, double se) =>
        new(id, value, se, new MetricCost(), 0.1, new Dictionary<string, string>(), new Dictionary<string, double>());

    [Fact]
    public void APerfectMeasureIsTrustedAndAKnobFollowerIsNot()
    {
        var verdict = BenchmarkScores.Score(Population(), permutations: 500, draws: 300);
        Assert.Equal(32, verdict.Models);
        Assert.Single(verdict.Excluded);
        Assert.Equal("d2_111_1", verdict.Excluded[0].Model);
        Assert.EndsWith("baseline.train_loss", verdict.BestBaseline); // the only baseline, negated if it ordered the gaps in reverse
        var perfect = verdict.Rows.Single(r => r.Metric == "hessian.trace");
        var knob = verdict.Rows.Single(r => r.Metric == "sharpness.keskar");
        // The gap itself: τ = 1 in each data set, Ψ = 1, K(μ) = 1, no sign error, within-grid τ = 1.
        Assert.Equal((1.0, 1.0), (perfect.Tau, perfect.Psi));
        Assert.Equal(1.0, perfect.Cmi, 9);
        Assert.Equal((0.0, 0.0), (perfect.Sign.Mean, perfect.Sign.Worst));
        Assert.Equal(1.0, perfect.WithinGridTau, 12);
        Assert.True(perfect.Trustworthy, perfect.Why);
        // Following knob a only: right on every a-pair (error 0), a tie (½) on every b- and c-pair; within a grid point it
        // is constant (τ 0, p = 1) and given a it says nothing (K = 0).
        Assert.Equal(0.5, knob.Sign.Worst, 12);
        Assert.Equal(0.0, knob.Cmi, 12);
        Assert.Equal(0.0, knob.WithinGridTau, 12);
        Assert.Equal(1.0, knob.WithinGridP, 12);
        Assert.False(knob.Trustworthy);
        // The oracle row reads the target plus 1 pp of noise, not its stored value (0 everywhere, which has no τ): the
        // gaps span 14 pp in steps of 0.5 to 2, so 1 pp of noise leaves a high but imperfect τ; never trustworthy.
        var oracle = verdict.Rows.Single(r => r.Metric == "oracle.test_error_noisy_1pp");
        Assert.True(oracle.Tau > 0.7 && oracle.Tau < 1, $"oracle τ = {oracle.Tau}");
        Assert.False(oracle.Trustworthy);
        // Pairs: per data set, 3 axes × 4 other-axis settings × 2 seeds = 24, less the 3 pairs of the excluded model.
        Assert.Equal(48 - 3, perfect.Sign.Pairs);
    }

    [Fact]
    public void TooFewFittedModelsIsAnError()
    {
        var results = Population().Take(3).ToList();
        Assert.Throws<ArgumentException>(() => BenchmarkScores.Score(results));
    }
}
