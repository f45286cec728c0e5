using Basin.Metrics;
using Basin.Models;
using Basin.Operators;

namespace Basin.Cli.Infrastructure;

/// <summary>What one curvature product costs, for the preview a command prints before long work.</summary>
public static class CostPreview
{
    /// <summary>
    /// Seconds per product of <paramref name="op"/> once it runs at its steady pace: the first product also builds the cached
    /// graph, and the next few still grow the allocator's heap (LeNet-5 at 2 048 samples, one run: 1.45 s, 0.48 s, then
    /// 0.19 s each; another: 0.38 s and 0.36 s before 0.18 s — timing the second made the preview say 3 min 24 s for a run
    /// of 1 min 41 s). After one untimed product, the fastest of the next <paramref name="timed"/> is returned.
    /// </summary>
    public static double SecondsPerProduct(ILinearOperator op, int timed = 3)
    {
        using var probe = TorchSharp.torch.ones(op.Dimension, op.DType, op.Device);
        return Seconds(() => op.Apply(probe).Dispose(), timed);
    }

    /// <summary>
    /// The pace of every kind of pass <paramref name="plan"/> counts, timed on <paramref name="context"/>'s samples before the work: a
    /// curvature product (<see cref="SecondsPerProduct"/>), a gradient and a loss over the samples, and the two kinds of per-sample
    /// gradient as they are used — the Fisher subsets' Gram matrix on N′ samples, a GGN diagonal's squared passes (every output
    /// factor through one forward pass) on up to 64 — each divided by its samples (and factors); a kind the plan does not use is not timed.
    /// Given the pace <paramref name="earlier"/> timed at other samples (a budget's plan timed again at its own), what does not change
    /// with the samples is taken from it: the per-sample paces, and the GGN's and Fisher's products as fractions of the Hessian's.
    /// </summary>
    public static Basin.Metrics.MeasurementPlan.PassTimes Pace(Basin.Metrics.MetricContext context, Basin.Metrics.MeasurementPlan plan, Basin.Metrics.MeasurementPlan.PassTimes? earlier = null)
    {
        var cost = plan.Cost;
        long fisher = plan.FisherPerSampleGradients;
        double product = plan.ProductsOf(Basin.Metrics.ProductKind.Hessian) > 0 ? SecondsPerProduct(context.Hessian) : 0;
        var (ggn, fisherProduct) = OtherProducts(context, plan, product, earlier);
        double gradient = cost.Gradients > 0 ? Seconds(() => context.Hessian.Gradient().Dispose()) : 0;
        double forward = cost.ForwardPasses > 0 ? Seconds(() => context.Hessian.Loss()) : 0;
        // The Fisher subsets convert the weights to float64 once, not per subset: nor does the timed pass.
        using var weights64 = fisher > 0 ? context.Weights.to(TorchSharp.torch.ScalarType.Float64) : null;
        double perSample = earlier is { PerSampleGradient: > 0 } ? earlier.PerSampleGradient : fisher > 0 ? PerSample(context, Math.Min(plan.Settings.FisherSubsetSize, context.N), (x, y) =>
        {
            PerSampleGradients.Gram(context.Model, context.Parameters, x, y, weights64!);
            return 1;
        }) : 0;
        double squared = earlier is { SquaredGradient: > 0 } ? earlier.SquaredGradient : cost.PerSampleGradients > fisher ? PerSample(context, Math.Min(64, context.N), (x, y) =>
        {
            PerSampleGradients.SquaredSum(context.Model, context.Parameters, x, y, (f, labels) => GgnDiagonal.PseudoLosses(context.Model, f, labels));
            return plan.Factors;
        }) : 0;
        return new(product, gradient, forward, perSample, squared) { GgnProduct = ggn, FisherProduct = fisherProduct };
    }

    /// <summary>Samples the GGN's and Fisher's products are timed on, as fractions of the Hessian's, when more are measured.</summary>
    private const int RatioSamples = 128;

    /// <summary>
    /// Seconds per GGN and per Fisher product (null where the plan has none). Each operator has its own pace (a CNN's GGN product is
    /// cheaper than its Hessian's, factored Fisher products several times cheaper), but its first product builds its graphs or factors:
    /// the GGN's factors take a backward pass per output, 15 s of a ResNet-18's 22 s preview of the two at 512 samples. So with the
    /// Hessian's pace known, each is timed as a fraction of the Hessian's on the first <see cref="RatioSamples"/> samples (or taken from
    /// <paramref name="earlier"/>), on operators freed at once: kept, their state would sit beside the Hessian's graphs.
    /// </summary>
    private static (double? Ggn, double? Fisher) OtherProducts(Basin.Metrics.MetricContext context, Basin.Metrics.MeasurementPlan plan, double hessian, Basin.Metrics.MeasurementPlan.PassTimes? earlier)
    {
        bool ggn = plan.ProductsOf(Basin.Metrics.ProductKind.Ggn) > 0, fisher = plan.ProductsOf(Basin.Metrics.ProductKind.Fisher) > 0;
        if (!ggn && !fisher) return (null, null);
        if (hessian > 0 && earlier is { Product: > 0 } e && (!ggn || e.GgnProduct is not null) && (!fisher || e.FisherProduct is not null))
            return (ggn ? hessian * e.GgnProduct / e.Product : null, fisher ? hessian * e.FisherProduct / e.Product : null);
        using var subset = hessian > 0 && context.N > RatioSamples ? context.Samples.Subset(Enumerable.Range(0, RatioSamples).Select(i => (long)i).ToList()) : null;
        var data = subset is null ? null : CurvatureData.FromDataset(subset, Math.Min(context.Settings.BatchSize, RatioSamples));
        var on = data ?? context.Data;
        double Timed(Func<CurvatureOperator> make)
        {
            using var op = make();
            return SecondsPerProduct(op);
        }
        double scale = data is null ? 1 : hessian / Timed(() => new HessianOperator(context.Model, on));
        return (ggn ? scale * Timed(() => new GgnOperator(context.Model, on)) : null, fisher ? scale * Timed(() => new EmpiricalFisherOperator(context.Model, on)) : null);
    }

    /// <summary>Seconds per sample of <paramref name="pass"/> on the first <paramref name="n"/> samples, divided also by the factor it returns.</summary>
    private static double PerSample(Basin.Metrics.MetricContext context, int n, Func<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor, int> pass)
    {
        int factors = 1;
        double seconds = Seconds(() =>
        {
            using var scope = TorchSharp.torch.NewDisposeScope();
            var index = TorchSharp.torch.arange(n);
            factors = pass(context.Samples.Features.index_select(0, index).to(context.Weights.dtype).to(context.Weights.device), context.Samples.Labels.index_select(0, index).to(context.Weights.device));
        });
        return seconds / (n * Math.Max(1, factors));
    }

    /// <summary>
    /// The fastest of <paramref name="timed"/> timed runs of <paramref name="action"/>, after one untimed run that warms it up; each
    /// run waits for the device's queued kernels (<see cref="Basin.Native.TorchRuntime.Synchronize"/>), so that CUDA's are counted.
    /// </summary>
    public static double Seconds(Action action, int timed = 1)
    {
        action();
        Basin.Native.TorchRuntime.Synchronize();
        double best = double.PositiveInfinity;
        for (int i = 0; i < Math.Max(1, timed); i++)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            action();
            Basin.Native.TorchRuntime.Synchronize();
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        return best;
    }

    /// <summary>
    /// The preview's time: about <paramref name="seconds"/>, or under a precision target the range from the estimators at their
    /// minimums to the counts, and the curvature products of each end.
    /// </summary>
    internal static string Range(MeasurementPlan plan, MeasurementPlan.PassTimes pace, double seconds, IReadOnlyList<IMetric> metrics, Model model)
    {
        var s = plan.Settings;
        if (s.RelativeTolerance == 0) return $"about {ProgressBar.Format(seconds)}";
        var least = MeasurementPlan.For(metrics, s.AtMinimums(), plan.Samples, model);
        return $"{ProgressBar.Format(least.Seconds(pace))} to {ProgressBar.Format(seconds)} (the precision target {s.RelativeTolerance:G3} stops each estimator between its minimum and its count: "
            + $"{least.Products} to {plan.Products} curvature products)";
    }

    /// <summary>"944 curvature products (Hessian 472 at 0.25 s, GGN 432 at 0.18 s), 60 gradients at 0.4 s, …": each kind of pass the plan counts, with its measured pace.</summary>
    internal static string Passes(MeasurementPlan plan, MeasurementPlan.PassTimes pace)
    {
        var cost = plan.Cost;
        var kinds = Enum.GetValues<ProductKind>().Select(k => (Kind: k, Count: plan.ProductsOf(k))).Where(k => k.Count > 0)
            .Select(k => $"{(k.Kind == ProductKind.Ggn ? "GGN" : k.Kind.ToString())} {k.Count} at {pace.ProductOf(k.Kind):F2} s").ToArray();
        return string.Join(", ", new[]
        {
            cost.CurvatureProducts > 0 ? $"{cost.CurvatureProducts} curvature products ({string.Join(", ", kinds)})" : null,
            cost.Gradients > 0 ? $"{cost.Gradients} gradients at {pace.Gradient:F2} s" : null,
            cost.ForwardPasses > 0 ? $"{cost.ForwardPasses} forward passes at {pace.Forward:F2} s" : null,
            cost.PerSampleGradients > 0 ? $"{cost.PerSampleGradients:N0} per-sample gradients at {1000 * (pace.PerSampleGradient > 0 ? pace.PerSampleGradient : pace.SquaredGradient):F1} ms"
                + (pace.PerSampleGradient > 0 && pace.SquaredGradient > 0 ? $" (Fisher subsets; squared passes at {1000 * pace.SquaredGradient:F1} ms)" : "") : null,
        }.OfType<string>());
    }
}
