using Basin.Estimators;
using Basin.Metrics;
using Basin.Operators;
using Xunit;
using static TorchSharp.torch;

namespace Basin.Tests.Estimators;

/// <summary>
/// Precision targets (issue 27): every iterative estimator stops once its own error is within the rule's tolerance, never spends
/// more than the rule's cap, and says why it stopped — checked on dense float64 operators whose spectrum is known.
/// </summary>
public class StoppingRuleTests
{
    /// <summary>Three outliers over a bulk in [0, 1]; positive definite.</summary>
    private static double[] Spectrum(int n)
    {
        var rng = new Random(11);
        double[] top = [100, 40, 15];
        return top.Concat(Enumerable.Range(0, n - top.Length).Select(_ => 0.01 + rng.NextDouble())).ToArray();
    }

    [Fact]
    public void IterationsRunAtOnceNeverPassTheBudgetNorUnderATargetTheMinimum()
    {
        // Without a target: what is left of the budget, at most `most`.
        Assert.Equal(4, new StoppingRule(4, MinIterations: 1).AtOnce(0, 8));
        Assert.Equal(2, new StoppingRule(10, MinIterations: 1).AtOnce(8, 4));
        // Under a tolerance or a time budget: what is left of the minimum, then one at a time; never past the budget.
        Assert.Equal(3, new StoppingRule(12, 0.02, MinIterations: 3).AtOnce(0, 12));
        Assert.Equal(1, new StoppingRule(12, 0.02, MinIterations: 3).AtOnce(3, 12));
        Assert.Equal(2, new StoppingRule(12, TimeBudget: TimeSpan.FromSeconds(1), MinIterations: 5).AtOnce(3, 8));
        Assert.Equal(4, new StoppingRule(4, 0.1, MinIterations: 8).AtOnce(0, 8));
    }

    [Fact]
    public void LanczosStopsOnceTheTopRitzPairIsWithinTheToleranceAndNeverPassesTheCap()
    {
        var spectrum = Spectrum(120);
        using var op = DenseOperator.WithSpectrum(spectrum, seed: 3);
        var top = Lanczos.TopEigenvalues(op, 1, new StoppingRule(100, 1e-8, MinIterations: 2), seed: 1);
        int steps = int.Parse(top.Settings["steps"]);
        Assert.Equal("Converged", top.Settings["stopped"]);
        Assert.True(steps < 100, $"the isolated top eigenvalue needed {steps} of 100 steps");
        Assert.Equal(steps, top.Products);
        // A symmetric matrix has an eigenvalue within the residual of every Ritz value: 100 is the one above the bulk.
        Assert.True(Math.Abs(top.Values[0] - 100) <= 1e-8 * 100 + 1e-9, $"λ₁ = {top.Values[0]:R}, expected 100 (residual {top.Residuals[0]:G3})");
        var capped = Lanczos.TopEigenvalues(op, 1, new StoppingRule(3, 1e-14, MinIterations: 2), seed: 1);
        Assert.Equal("BudgetExhausted", capped.Settings["stopped"]);
        Assert.Equal(3, capped.Products);
        // No tolerance: exactly the steps asked for, the run of the fixed-count overload.
        var fixedRun = Lanczos.Run(op, 25, seed: 1);
        var ruled = Lanczos.Run(op, new StoppingRule(25, MinIterations: 1), seed: 1);
        Assert.Equal(fixedRun.Alpha, ruled.Alpha);
        Assert.Equal(25, ruled.Products);
    }

    [Fact]
    public void SlqStopsItsStepsAndStartsAtTheTargetAndNeverPassesTheirCaps()
    {
        var spectrum = Spectrum(150);
        using var op = DenseOperator.WithSpectrum(spectrum, seed: 5);
        const double delta = 1e-2;
        Func<double, double> f = t => Math.Log(1 + Math.Max(t, 0) / delta);
        double exact = spectrum.Sum(f);
        var adaptive = StochasticLanczosQuadrature.Run(op, new StoppingRule(80, 1e-3, MinIterations: 10), new StoppingRule(40, 0.01, MinIterations: 2), seed: 2, f: f);
        var estimate = adaptive.RelativeLogDeterminant(delta);
        Assert.Equal(EstimateStatus.Converged, adaptive.Status);
        Assert.True(adaptive.Rules.Count < 40 && adaptive.Rules.Count >= 2, $"{adaptive.Rules.Count} starts");
        Assert.All(adaptive.StepsPerStart, s => Assert.InRange(s, 10, 80));
        Assert.True(adaptive.StepsPerStart.Max() < 80, $"steps per start: {string.Join(", ", adaptive.StepsPerStart)}");
        Assert.Equal(adaptive.StepsPerStart.Sum(), adaptive.Products);
        // Within the target (1% relative standard error over starts), with room for the sampling: 4 standard errors.
        Assert.True(Math.Abs(estimate.Value - exact) <= 4 * estimate.StandardError, $"Tr log(1 + A/δ) = {estimate.Value:G6} ± {estimate.StandardError:G3}, exact {exact:G6}");
        Assert.True(estimate.StandardError <= 0.011 * Math.Abs(estimate.Value), $"relative error {estimate.StandardError / estimate.Value:G3} over a 1% target");
        var capped = StochasticLanczosQuadrature.Run(op, new StoppingRule(6, 1e-12, MinIterations: 2), new StoppingRule(3, 1e-12, MinIterations: 2), seed: 2, f: f);
        Assert.Equal(18, capped.Products);
        Assert.Equal(EstimateStatus.BudgetExhausted, capped.Status);
    }

    [Fact]
    public void HutchPlusPlusStopsItsComplementProbesAtTheTarget()
    {
        var spectrum = Spectrum(90);
        using var op = DenseOperator.WithSpectrum(spectrum, seed: 7);
        double exact = spectrum.Sum();
        var adaptive = HutchPlusPlus.Trace(op, new StoppingRule(60, 0.01, MinIterations: 2), seed: 4);
        Assert.Equal(EstimateStatus.Converged, adaptive.Status);
        Assert.True(adaptive.Products < 60 && adaptive.Products >= 42, $"{adaptive.Products} products: 40 for the sketch, then 2 to 20 probes");
        Assert.True(Math.Abs(adaptive.Value - exact) <= 4 * adaptive.StandardError + 1e-9, $"Tr A = {adaptive.Value:G6} ± {adaptive.StandardError:G3}, exact {exact:G6}");
        var fixedCount = HutchPlusPlus.Trace(op, 60, seed: 4);
        Assert.Equal(60, fixedCount.Products);
        Assert.Equal(EstimateStatus.BudgetExhausted, fixedCount.Status);
    }

    [Fact]
    public void TheHutchinsonDiagonalOfADiagonalMatrixIsExactAfterTwoProbes()
    {
        // v ⊙ Dv = diag D for every Rademacher v: no variance, so any target is met at the rule's minimum of two probes.
        double[] d = [3, -1, 0.5, 2, 7];
        using var op = new DenseOperator(diag(tensor(d, ScalarType.Float64)));
        using var adaptive = HutchinsonDiagonal.Compute(op, new StoppingRule(50, 1e-6), seed: 1);
        Assert.Equal(2, adaptive.Products);
        Assert.Equal(EstimateStatus.Converged, adaptive.Status);
        Assert.Equal(d, adaptive.Values.data<double>().ToArray());
        using var dense = DenseOperator.WithSpectrum(Spectrum(40), seed: 9);
        using var capped = HutchinsonDiagonal.Compute(dense, new StoppingRule(12, 1e-9), seed: 1);
        Assert.Equal(12, capped.Products);
        Assert.Equal(EstimateStatus.BudgetExhausted, capped.Status);
    }

    [Fact]
    public void TheSharedProbesStopAtTheTargetUnderAPrecisionTargetAndRunTheirCountWithout()
    {
        // A diagonal operator: vᵀDv = Tr D and ‖Dv‖² = Tr D² for every Rademacher v, so the target is met at the minimum of 8 probes.
        using var op = new DenseOperator(diag(tensor(new double[] { 1, 2, 3, 4 }, ScalarType.Float64)));
        using var targeted = ProbeSummary.Compute(op, new MeasureSettings { TraceProbes = 32, RelativeTolerance = 0.01 }, seed: 1, new CostLedger());
        Assert.Equal(MeasureSettings.Minimums.Probes, targeted.Trace.Products);
        Assert.Equal(10, targeted.Trace.Value, 12);
        Assert.Equal(30, targeted.FrobeniusSquared.Value, 12);
        Assert.Equal(EstimateStatus.Converged, targeted.Trace.Status);
        using var counted = ProbeSummary.Compute(op, new MeasureSettings { TraceProbes = 32 }, seed: 1, new CostLedger());
        Assert.Equal(32, counted.Trace.Products);
        Assert.Contains("relative tolerance", Assert.Throws<ArgumentException>(() => new MeasureSettings { RelativeTolerance = 1 }.Validate()).Message);
        Assert.Contains("relative tolerance", Assert.Throws<ArgumentException>(() => new MeasureSettings { RelativeTolerance = -0.1 }.Validate()).Message);
    }
}
