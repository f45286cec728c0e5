using Basin.Bounds;

namespace Basin.Metrics;

/// <summary>
/// <c>bound.fisher_volume</c>: <see cref="FisherVolumeBound"/> (seed 001 Theorem 1) with ln|I| the extrapolated γ
/// of <c>fisher.logdet_extrapolated</c>, L₀ the training loss and V a free hyper-parameter (reported).
/// </summary>
public sealed class FisherVolumeBoundMetric() : Metric("bound.fisher_volume", "seed 001 Theorem 1 PAC-Bayes bound from the Fisher log-determinant", "seed 001 Theorem 1", CostClass.Expensive)
{
    /// <inheritdoc />
    public override MetricResult Compute(MetricContext context)
    {
        var s = context.Settings;
        var f = context.Fisher;
        double w = context.P;
        double gamma = w / f.SubsetSize * f.LogDets.Average() + w * Math.Log(w);
        var bound = FisherVolumeBound.Compute(context.Loss, gamma, w, context.N, s.FisherBoundVolume, s.BoundDelta);
        return Result(context, bound.Value, double.NaN, [("volume", s.FisherBoundVolume), ("delta", s.BoundDelta), ("subset_size", f.SubsetSize),
            ("error", "not estimated: exponential in γ/W, whose error is fisher.logdet_extrapolated's")], bound.Terms);
    }
}
