using System.Text;
using Basin.Metrics;
using Basin.Statistics;
using Basin.Studies;
using Basin.Training;
using Xunit;

namespace Basin.Tests.Studies;

public class InferenceSectionTests
{
    [Fact]
    public void AKnobOnlyMetricSaysNothingWithinLevelsAndQValuesAreCorrectedAcrossTargets()
    {
        // Four levels × two seeds; the error gap grows with the level, the seeds differ a little; hessian.trace is the
        // level itself (constant within a level), sharpness.keskar follows the seeds' gaps within every level.
        var results = new List<ModelResult>();
        for (int level = 0; level < 4; level++)
            for (int seed = 0; seed < 2; seed++)
            {
                double testError = 0.10 + 0.02 * level + 0.003 * seed * (level % 2 == 0 ? 1 : -1);
                var coordinates = new Dictionary<string, string> { ["knob"] = $"{level}", ["seed"] = $"{seed}" };
                var metrics = new List<MetricResult>
                {
                    new("hessian.trace", level, 0, new MetricCost(), 0, new Dictionary<string, string>(), new Dictionary<string, double>()),
                    new("sharpness.keskar", 1000 * testError, 0, new MetricCost(), 0, new Dictionary<string, string>(), new Dictionary<string, double>()),
                };
                results.Add(new ModelResult($"knob={level}_seed={seed}", coordinates, new TrainConfig { Seed = seed }, [new EpochLog(1, 0.1, 0.3 - 0.01 * seed, 0, 0.5, testError, 1)],
                    0.3 - 0.01 * seed, 0, 0.5, testError, metrics, [], [], null, 1, 1, TestSamples: 10_000));
            }
        var rankings = StudyRanking.Rank(results);
        var md = new StringBuilder();
        new InferenceSection().Write(md, new ReportInput(new StudySpec { Name = "knob", Models = [] }, results, rankings));
        string text = md.ToString();
        // Over all models τ-b = 24/√(24·28) = +0.93 (every cross-level pair concordant, 4 pairs tied in the metric); constant
        // within levels: pooled τ 0, every within-level shuffle as extreme: p = 1.
        Assert.Matches(@"\| hessian\.trace \| measure \| \+0\.93 \| [^|]+ \| \+0\.00 \| 1 \| 1 \|", text);
        // The seed-follower: 4 within-level pairs all concordant, exact p = 2/2⁴ = 0.125.
        Assert.Matches(@"\| sharpness\.keskar \| measure \| \+1\.00 \| [^|]+ \| \+1\.00 \| 0\.125 \|", text);
        // q: Benjamini–Hochberg over 2 rows × 4 targets, the error-gap p of hessian.trace is the 3rd of those 8.
        var p = rankings.Select(r => r.TauLoss.PValue).Concat(rankings.Select(r => r.TauError.PValue)).Concat(rankings.Select(r => r.TauTestError.PValue)).Concat(rankings.Select(r => r.TauTestLoss.PValue)).ToArray();
        double q = BenjaminiHochberg.Adjust(p)[2];
        Assert.Contains($"| hessian.trace | measure | +0.93 | {StudyReport.P(q)} |", text);
        // No baseline row was measured: the final training loss stands in.
        Assert.Contains("**train loss (final log)**", text);
    }
}
