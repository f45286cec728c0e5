using Basin.Metrics;
using Xunit;

namespace Basin.Tests.Metrics;

/// <summary>
/// A budget counts every pass (issue 27): products, gradients and forward passes over the samples, per-sample gradients; the plan
/// that fits it keeps the floors, and its own prediction says when even they do not fit.
/// </summary>
public class MeasurementPlanTests
{
    private static readonly MeasurementPlan.PassTimes Pace = new(Product: 0.2, Gradient: 0.1, Forward: 0.04, PerSampleGradient: 0.002, SquaredGradient: 0.002);

    [Fact]
    public void ThePlansSecondsAreEveryPassAtItsPace()
    {
        var plan = new MeasurementPlan(MetricRegistry.Select("hessian.trace,sharpness.keskar,fisher.trace"), new MeasureSettings(), 10_000, 10);
        // 32 probes; Keskar 3 starts × 20 steps: 60 gradients (each gives the loss where it is taken) and the 3 last points' losses;
        // the Fisher subsets 100 × 100 per-sample gradients.
        Assert.Equal(32, plan.Products);
        Assert.Equal(60, plan.Cost.Gradients);
        Assert.Equal(3, plan.Cost.ForwardPasses);
        Assert.Equal(10_000, plan.PerSampleGradients);
        Assert.Equal(32 * 0.2 + 60 * 0.1 + 3 * 0.04 + 10_000 * 0.002, plan.Seconds(Pace), 9);
    }

    [Fact]
    public void EachOperatorsProductsAreCountedAtItsOwnPace()
    {
        // Hessian probes (32), the GGN's SLQ (4 × 100) and probes (32), the Fisher's Lanczos (40) beside its subsets.
        var plan = new MeasurementPlan(MetricRegistry.Select("hessian.trace,hessian.logdet,ggn.trace,fisher.spectral_radius"), new MeasureSettings(), 10_000, 10);
        Assert.Equal((32L, 432L, 40L), (plan.ProductsOf(ProductKind.Hessian), plan.ProductsOf(ProductKind.Ggn), plan.ProductsOf(ProductKind.Fisher)));
        Assert.Equal(504, plan.Products);
        var paced = Pace with { GgnProduct = 0.05, FisherProduct = 0.01 };
        Assert.Equal(32 * 0.2 + 432 * 0.05 + 40 * 0.01 + 10_000 * 0.002, plan.Seconds(paced), 9);
        // Untimed kinds fall back to the Hessian's pace; scaling the samples scales every product's pace.
        Assert.Equal(504 * 0.2 + 10_000 * 0.002, plan.Seconds(Pace), 9);
        Assert.Equal(32 * 0.4 + 432 * 0.1 + 40 * 0.02 + 10_000 * 0.002, plan.Seconds(paced.Scaled(2)), 9);
    }

    [Fact]
    public void UnderAPrecisionTargetTheLeastPlanHasEachEstimatorAtItsMinimum()
    {
        var metrics = MetricRegistry.Select("hessian.trace,hessian.top_eigenvalue,hessian.logdet");
        var target = new MeasureSettings { RelativeTolerance = 0.05 };
        // At the counts: 32 probes and 40 Lanczos steps on the Hessian, the GGN's SLQ 4 × 100.
        Assert.Equal(32 + 40 + 400, new MeasurementPlan(metrics, target, 10_000, 10).Products);
        // At the minimums a target may stop them at: 8 probes, 5 Lanczos steps, SLQ 3 starts × 10 steps.
        var least = new MeasurementPlan(metrics, target.AtMinimums(), 10_000, 10);
        Assert.Equal((8L + 5, 30L), (least.ProductsOf(ProductKind.Hessian), least.ProductsOf(ProductKind.Ggn)));
        // A count already below its minimum stays; every other setting is untouched; without a target nothing may stop early.
        var small = (target with { TraceProbes = 4, SlqStarts = 2, KeskarSteps = 7 }).AtMinimums();
        Assert.Equal((4, 2, 7, 5, 10), (small.TraceProbes, small.SlqStarts, small.KeskarSteps, small.LanczosSteps, small.SlqSteps));
        Assert.Equal(new MeasureSettings(), new MeasureSettings().AtMinimums());
    }

    [Fact]
    public void EachPacBayesFlatnessMeasureCountsItsOwnSearch()
    {
        // Each searches its own noise scale: about 9 scales × 32 weight draws, one loss each, for each measure — not once for both.
        var both = new MeasurementPlan(MetricRegistry.Select("pacbayes.flatness_sigma,pacbayes.mag_flatness"), new MeasureSettings(), 10_000, 10);
        var one = new MeasurementPlan(MetricRegistry.Select("pacbayes.mag_flatness"), new MeasureSettings(), 10_000, 10);
        Assert.Equal(9 * 32, one.Cost.ForwardPasses);
        Assert.Equal(2 * 9 * 32, both.Cost.ForwardPasses);
    }

    [Fact]
    public void ABudgetScalesTheCountsThenTheSamplesAndFitsWhenTheFloorsAllow()
    {
        var plan = new MeasurementPlan(MetricRegistry.Select("all"), new MeasureSettings(), 10_000, 10);
        double full = plan.Seconds(Pace);
        double budget = full / 20;
        var fitted = plan.Within(budget, Pace);
        double predicted = fitted.SecondsAt(Pace, plan.Samples);
        Assert.True(predicted <= budget * 1.0001, $"fitted plan predicts {predicted:F1} s for a budget of {budget:F1} s (full {full:F1} s)");
        Assert.True(fitted.Samples < plan.Samples && fitted.Samples >= MeasurementPlan.MinimumSamples, $"{fitted.Samples} samples");
        Assert.True(fitted.Settings.TraceProbes >= 8 && fitted.Settings.FisherSubsets >= 10 && fitted.Settings.KeskarSteps >= 5, "a floor was crossed");
        Assert.Same(plan, plan.Within(full * 2, Pace));
    }

    [Fact]
    public void ABudgetBelowTheFloorsKeepsTheFloorsAndPredictsMoreThanTheBudget()
    {
        var plan = new MeasurementPlan(MetricRegistry.Select("all"), new MeasureSettings(), 10_000, 10);
        var fitted = plan.Within(0.5, Pace);
        Assert.Equal(MeasurementPlan.MinimumSamples, fitted.Samples);
        Assert.Equal((8, 20, 10, 5), (fitted.Settings.TraceProbes, fitted.Settings.LanczosSteps, fitted.Settings.FisherSubsets, fitted.Settings.KeskarSteps));
        Assert.Equal((2, 20, 2, 2), (fitted.Settings.SlqStarts, fitted.Settings.SlqSteps, fitted.Settings.KeskarStartCount, fitted.Settings.PacGenPerturbationCount));
        Assert.True(fitted.SecondsAt(Pace, plan.Samples) > 0.5, "the floors cannot fit half a second: the plan must say so");
    }
}

/// <summary>One Lanczos run serves λ₁ and the top of the density (issue 27): measured together, λ₁ is read from the SLQ run's first start.</summary>
public class SharedLanczosTests
{
    [Fact]
    public void TopEigenvalueComesFromTheDensitysFirstStartWhenBothAreMeasured()
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        var (model, data) = MetricTestModels.TanhMlp();
        using (model)
        using (data)
        {
            var settings = new MeasureSettings { LanczosSteps = 10, SlqSteps = 20, SlqStarts = 2 };
            var both = MetricRegistry.Select($"{TopEigenvalue.HessianId},{SpectralDensity.MetricId}");
            // The plan counts the SLQ run only: 2 × 20 products, not 10 more for a Lanczos run of λ₁'s own.
            Assert.Equal(40, new MeasurementPlan(both, settings, data.Count, 3).Products);
            Assert.Equal(10, new MeasurementPlan(MetricRegistry.Select(TopEigenvalue.HessianId), settings, data.Count, 3).Products);
            using var context = new MetricContext(model, data, settings);
            var results = MetricRegistry.Measure(context, both);
            Assert.Equal(40, results.Sum(r => r.Cost.CurvatureProducts));
            Assert.Equal("the first start of the SLQ run", results[0].Settings["from"]);
            // λ₁ against the dense float64 Hessian's largest eigenvalue, within the Ritz residual the metric reports.
            // An independent Hessian: autograd's double backward on the plain loss, written without Basin's operators.
            var hessian = Basin.Tests.Operators.DenseReference.Hessian(model, data.Features, data.Labels);
            double exact = TorchSharp.torch.linalg.eigvalsh(hessian.to(TorchSharp.torch.ScalarType.Float64)).max().item<double>();
            Assert.True(Math.Abs(results[0].Value - exact) <= results[0].StandardError + 1e-9 * Math.Abs(exact), $"λ₁ {results[0].Value:R} vs dense {exact:R} (residual {results[0].StandardError:G3})");
            // Without a precision target only: an SLQ run that stops on another function does not serve it.
            Assert.Equal(50, new MeasurementPlan(both, settings with { RelativeTolerance = 0.1 }, data.Count, 3).Products);
        }
    }
}
