using System.Text;
using Basin.Metrics;
using Basin.Studies;
using Basin.Training;
using Xunit;

namespace Basin.Tests.Studies;

public class ReportSectionTests
{
    private static ModelResult Model(string epochs, int seed, double trainLoss, double lambda, double trace, string axis = "loss-to-zero", double testError = 0.2)
    {
        MetricResult Metric(string id, double value) => new(id, value, 0.1, new MetricCost(), 0, new Dictionary<string, string>(), new Dictionary<string, double>());
        return new ModelResult($"{axis}={epochs}_seed={seed}", new() { [axis] = epochs, ["seed"] = seed.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            new TrainConfig(), [], trainLoss, 0.1, 0.5, testError, [Metric("hessian.top_eigenvalue", lambda), Metric("hessian.trace", trace)], [], [], null, 0, 0);
    }

    /// <summary>
    /// Four models, worked by hand. Train losses 0.4, 0.3, 0.2, 0.1; λ₁ 9, 7, 8, 5: of the 6 pairs, (0.3, 0.2) with (7, 8) is
    /// discordant, the other 5 concordant, τ = (5 − 1)/6 = +0.67; the exact permutation p: of the 24 orderings of λ₁, those
    /// with |τ| ≥ 4/6 are the ones with at most one inversion or at least five: 1 + 3 + 3 + 1 = 8, p = 8/24 = 0.333.
    /// Tr H 1, 2, 3, 4 rises as the loss falls: τ = −1, p = 2/24 = 0.083.
    /// </summary>
    [Fact]
    public void CurvatureIsRankedAgainstTheTrainingLossWithExactPValues()
    {
        var results = new List<ModelResult> { Model("2", 0, 0.4, 9, 1), Model("2", 1, 0.3, 7, 2), Model("8", 0, 0.2, 8, 3), Model("8", 1, 0.1, 5, 4) };
        var md = new StringBuilder();
        new LossToZeroSection().Write(md, new ReportInput(new StudySpec { Name = "loss-to-zero", Models = [] }, results, []));
        string text = md.ToString();
        Assert.Contains("| hessian.top_eigenvalue | +0.67 | 0.333 |", text);
        Assert.Contains("| hessian.trace | -1.00 | 0.083 |", text);
        // Means over seeds: epochs 2 → loss 0.35, λ₁ 8, Tr H 1.5; epochs 8 → 0.15, 6.5, 3.5.
        Assert.Contains("| 2 | 0.35 | 8 | 1.5 |", text);
        Assert.Contains("| 8 | 0.15 | 6.5 | 3.5 |", text);
        // The section belongs to its axis's report, which has no axis section (the epochs are not what the theorem reads); other axes' reports lack it.
        Assert.Contains(StudyAxes.Sections("loss-to-zero"), s => s is LossToZeroSection);
        Assert.DoesNotContain(StudyAxes.Sections("loss-to-zero"), s => s is AxisSection);
        Assert.DoesNotContain(StudyAxes.Sections("weight-decay"), s => s is LossToZeroSection);
        Assert.Contains(StudyAxes.Sections("weight-decay"), s => s is AxisSection);
    }

    /// <summary>
    /// Batch sizes 32, 64, 128, 256 with test errors 10, 12, 11, 13%: 5 of the 6 pairs concordant, τ = +0.67, p = 8/24 =
    /// 0.333 (as above); λ₁ 4, 3, 2, 1 falls: τ = −1, p = 2/24 = 0.083. A second axis in the coordinates, or a value that
    /// is not a number, and the section stays silent.
    /// </summary>
    [Fact]
    public void TheAxisIsRankedAgainstGeneralizationAndEveryMetric()
    {
        var results = new List<ModelResult>
        {
            Model("32", 0, 0.1, 4, 1, "batch-size", 0.10), Model("64", 0, 0.1, 3, 1, "batch-size", 0.12),
            Model("128", 0, 0.1, 2, 1, "batch-size", 0.11), Model("256", 0, 0.1, 1, 1, "batch-size", 0.13),
        };
        MetricRanking Ranked(string id) => new(id, null!, null!, null!, null!, 0, 0, double.NaN, null!, null!, null!);
        string Write(IReadOnlyList<ModelResult> models)
        {
            var md = new StringBuilder();
            new AxisSection().Write(md, new ReportInput(new StudySpec { Name = "batch-size", Models = [] }, models, [Ranked("hessian.top_eigenvalue")]));
            return md.ToString();
        }
        string text = Write(results);
        Assert.Contains("| test error | +0.67 | 0.333 |", text);
        Assert.Contains("| error gap | +0.67 | 0.333 |", text);
        Assert.Contains("| hessian.top_eigenvalue | -1.00 | 0.083 |", text);
        // A fifth model that stopped at its cap (train error 30% > 1%) is ranked with the rest, then left out: the four
        // that met the criterion give the τ above again.
        var capped = Model("512", 0, 0.1, 0, 1, "batch-size", 0.5) with
        {
            Config = new TrainConfig { Until = "train-error<=0.01" }, Log = [new EpochLog(400, 0.05, 0.9, 0.3, 1.0, 0.5, 1)],
        };
        string withCap = Write([.. results, capped]);
        Assert.Contains("τ, the 4 models that met the criterion", withCap);
        Assert.Contains("| hessian.top_eigenvalue | -1.00 | 0.017 | -1.00 | 0.083 |", withCap);
        Assert.Equal("", Write([.. results.Select(r => r with { Coordinates = new(r.Coordinates) { ["optimizer"] = "sgd" } })]));
        Assert.Equal("", Write([.. results.Select(r => r with { Coordinates = new() { ["batch-size"] = "big" } })]));
    }
}
