using Basin.Metrics;
using Basin.Operators;
using Xunit;
using static Basin.Tests.Metrics.MetricTestModels;
using static TorchSharp.torch;

namespace Basin.Tests.Metrics;

public class MetricContextTests
{
    [Fact]
    public void PerturbedWeightsAreAlwaysPutBackAndNeverBecomeTheMeasuredWeights()
    {
        using var scope = NewDisposeScope();
        var (model, data) = TanhMlp();
        using (model)
        using (data)
        {
            var original = ParameterSelection.Flatten(model.Module.parameters().Select(p => p.detach()));
            using var context = new MetricContext(model, data, new MeasureSettings());
            var seenInside = context.WithWeights(original * 2, () => context.Weights.clone());
            Assert.True(seenInside.allclose(original, 0, 0), "the context's w was read as the perturbed weights");
            var now = ParameterSelection.Flatten(model.Module.parameters().Select(p => p.detach()));
            Assert.True(now.allclose(original, 0, 0), "the weights were not restored");
            Assert.Throws<InvalidOperationException>(() => context.WithWeights<int>(original * 3, () => throw new InvalidOperationException("boom")));
            now = ParameterSelection.Flatten(model.Module.parameters().Select(p => p.detach()));
            Assert.True(now.allclose(original, 0, 0), "the weights were not restored after an exception");
        }
    }

    [Fact]
    public void SharedInputsGiveTheSameValuesWhicheverMetricNeedsThemFirst()
    {
        using var scope = NewDisposeScope();
        var (model, data) = TanhMlp();
        using (model)
        using (data)
        {
            // pacGen on the Hutchinson diagonal shared with hessian.diagonal (the default is the exact GGN diagonal).
            var settings = new MeasureSettings { TraceProbes = 8, Seed = 3, PacGenDiagonal = DiagonalEstimator.Hutchinson };
            const string order = "bound.wang_uniform,pacgen,hessian.diagonal,hessian.trace";
            const string reversed = "hessian.trace,hessian.diagonal,pacgen,bound.wang_uniform";
            Dictionary<string, MetricResult> Measure(string ids)
            {
                using var context = new MetricContext(model, data, settings);
                return MetricRegistry.Measure(context, MetricRegistry.Select(ids)).ToDictionary(r => r.Id);
            }
            var a = Measure(order);
            var b = Measure(reversed);
            foreach (var id in a.Keys)
                Assert.True(a[id].Value == b[id].Value, $"{id}: {a[id].Value} when measured in one order, {b[id].Value} in the other");
            // The shared probes (8) are charged to whichever metric needs them first; ρ's perturbed diagonals (8 for each of its
            // 3 perturbations) to the first that needs ρ.
            Assert.Equal([32, 0, 0, 0], a.Values.Select(r => r.Cost.CurvatureProducts));
            Assert.Equal([8, 0, 24, 0], b.Values.Select(r => r.Cost.CurvatureProducts));
        }
    }

    [Fact]
    public void AnOperatorsCacheIsDroppedOnceNoMetricLeftReadsItsProductsAndRebuiltRightIfUsedAgain()
    {
        using var scope = NewDisposeScope();
        var (model, data) = TanhMlp();
        using (model)
        using (data)
        {
            var settings = new MeasureSettings { TraceProbes = 4, LanczosSteps = 5, Seed = 3 };
            using var context = new MetricContext(model, data, settings);
            // The Laplace metric's products are of its own operator on a mini-batch: it does not keep the context's Hessian.
            var metrics = MetricRegistry.Select("hessian.trace,hessian.top_eigenvalue,ggn.trace,pacbayes.laplace.approx");
            context.Expect(metrics);
            MetricRegistry.Measure(context, [metrics[0]]);
            Assert.True(context.Hessian.HoldsCache, "the Hessian's graphs were dropped while hessian.top_eigenvalue still reads them");
            MetricRegistry.Measure(context, [metrics[1]]);
            Assert.False(context.Hessian.HoldsCache, "the Hessian's graphs were kept after its last metric");
            MetricRegistry.Measure(context, [metrics[2], metrics[3]]);
            Assert.False(context.Ggn.HoldsCache, "the GGN's state was kept after its last metric");
            // A product after the release builds the state again, over the same weights: the same as a fresh operator's.
            using var v = randn(context.Hessian.Dimension, ScalarType.Float64, generator: new Generator(5));
            using var fresh = new HessianOperator(model, context.Data);
            Assert.True(context.Hessian.Apply(v).allclose(fresh.Apply(v), 1e-12, 1e-12), "a product after the release differs from a fresh operator's");
            Assert.True(context.Hessian.HoldsCache);
        }
    }

    [Fact]
    public void WithHutchPlusPlusASketchOfEveryDirectionGivesTheDenseTraceAndFrobenius()
    {
        using var scope = NewDisposeScope();
        var (model, data) = TanhMlp();
        using (model)
        using (data)
        {
            // P = 43: 129 products sketch all 43 directions, so Hutch++'s Tr H and Tr H² are exact (the model is float64).
            using var context = new MetricContext(model, data, new MeasureSettings { TraceProbes = 129, HutchPlusPlus = true });
            var r = MetricRegistry.Measure(context, MetricRegistry.Select("hessian.trace,hessian.frobenius_sq")).ToDictionary(m => m.Id);
            using var op = new HessianOperator(model, context.Data);
            using var dense = Basin.Tests.Operators.DenseReference.Matrix(op);
            double trace = dense.trace().item<double>(), frobenius = dense.square().sum().item<double>();
            Assert.Equal(trace, r["hessian.trace"].Value, 1e-8 * Math.Abs(trace) + 1e-10);
            Assert.Equal(frobenius, r["hessian.frobenius_sq"].Value, 1e-8 * frobenius);
        }
    }

    [Fact]
    public void EveryMetricReportsItsErrorOrSaysWhyNot()
    {
        using var scope = NewDisposeScope();
        var (model, data) = TanhMlp();
        using (model)
        using (data)
        {
            var settings = new MeasureSettings { TraceProbes = 8, LanczosSteps = 20, SlqSteps = 20, SlqStarts = 3, FisherSubsets = 4, FisherSubsetSize = 10, FiniteDifferenceProbes = 8, ExpectedSharpnessDraws = 8, KeskarSteps = 4, LaplaceBatch = 10 };
            using var context = new MetricContext(model, data, settings);
            foreach (var r in MetricRegistry.Measure(context, MetricRegistry.All))
            {
                // Every metric that applies carries a noise figure (issue 9: the trust table's noise/spread column is never empty).
                if (r.Settings.ContainsKey("not_applicable")) continue;
                Assert.True(double.IsFinite(r.StandardError) && r.StandardError >= 0, $"{r.Id}: no standard error ({r.StandardError})");
                // A measure's zero error bar must say why (one Keskar start, a curvature diagonal held exact); a bare 0 on a
                // quantity drawn from probes would hide its noise.
                if (MetricRegistry.All.First(m => m.Id == r.Id).Role == MetricRole.Measure)
                    Assert.True(r.StandardError > 0 || r.Settings.ContainsKey("error"), $"{r.Id}: a standard error of 0 with no reason given");
                if (r.Settings.TryGetValue("error", out var why)) Assert.DoesNotContain("not estimated", why);
            }
        }
    }

    [Theory]
    [InlineData("deeplinear:3", 1, "sharpness.normalized", "needs a softmax classifier")]
    [InlineData("deeplinear:3", 1, "robustness.input_jacobian", "needs a softmax output")]
    [InlineData("shared-sigmoid", 2, "sharpness.matrix_normalized", "has no weight matrix")]
    public void MetricsThatDoNotApplySaySoInsteadOfANumber(string spec, int inputs, string id, string why)
    {
        using var scope = NewDisposeScope();
        using var model = Basin.Models.ModelZoo.Create(spec, [inputs], 2, seed: 0);
        var (x, y) = Basin.Tests.Operators.DenseReference.Batch(20, [inputs], 2, seed: 1);
        using var data = new Basin.Data.Dataset("toy", x.to(ScalarType.Float32), y, 2);
        using var context = new MetricContext(model, data, new MeasureSettings { TraceProbes = 4 });
        var results = MetricRegistry.Measure(context, MetricRegistry.Select(id + ",hessian.trace"));
        Assert.True(double.IsNaN(results[0].Value), $"{id} on {spec} gave {results[0].Value}");
        Assert.Contains(why, results[0].Settings["not_applicable"]);
        Assert.StartsWith("not applicable: ", results[0].Display);
        Assert.True(double.IsFinite(results[1].Value), "hessian.trace applies to every model");
    }

    [Fact]
    public void TheCostPreviewCountsTheProductsAndPerSampleGradientsTheMeasurementSpends()
    {
        using var scope = NewDisposeScope();
        var (model, data) = TanhMlp();
        using (model)
        using (data)
        {
            var settings = new MeasureSettings { TraceProbes = 8, LanczosSteps = 10, SlqSteps = 5, SlqStarts = 2, FisherSubsets = 3, FisherSubsetSize = 10, LaplaceBatch = 10, LaplaceProbes = 4 };
            var metrics = MetricRegistry.Select("all");
            var plan = new MeasurementPlan(metrics, settings, data.Count, 3);
            var (products, perSample) = (plan.Products, plan.PerSampleGradients);
            // Hessian and GGN probes, Laplace probes, five Lanczos/SLQ runs of 10; pacGen's GGN diagonal: 30 samples × 3 factors, at w
            // and at w + u for each of ρ's 3 perturbations.
            Assert.Equal(8 + 8 + 4 + 10 + 10 + 10 + 10 + 10, products);
            Assert.Equal(30 + 4 * 30 * 3, perSample);
            using var context = new MetricContext(model, data, settings);
            var spent = MetricRegistry.Measure(context, metrics);
            Assert.Equal(products, spent.Sum(r => r.Cost.CurvatureProducts));
            Assert.Equal(perSample, spent.Sum(r => r.Cost.PerSampleGradients));
            // Full gradients: Keskar's ascent (3 starts × 20 steps), the input Jacobian (one per output, 3), the normalized-loss
            // finite differences (4 groups × 4 probes × 2) — the passes a budget also counts.
            Assert.Equal(3 * 20 + 3 + 32, plan.Cost.Gradients);
            Assert.Equal(plan.Cost.Gradients, spent.Sum(r => r.Cost.Gradients));
        }
    }
}
