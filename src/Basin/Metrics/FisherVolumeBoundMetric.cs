using Basin.Bounds;

namespace Basin.Metrics;

/// <summary>
/// <c>bound.fisher_volume</c>: <see cref="FisherVolumeBound"/> (seed 001 Theorem 1) with ln|I| the extrapolated γ
/// of <c>fisher.logdet_extrapolated</c>, L₀ the training loss and V a free hyper-parameter (reported).
/// </summary>
public sealed class FisherVolumeBoundMetric() : Metric(MetricId, "seed 001 Theorem 1 PAC-Bayes bound from the Fisher log-determinant", "seed 001 Theorem 1", CostClass.Expensive)
{
    /// <summary>Its id, <c>bound.fisher_volume</c>.</summary>
    public const string MetricId = "bound.fisher_volume";

    /// <inheritdoc />
    public override IReadOnlyList<MetricInput> Inputs(MeasureSettings settings) => [FisherSubsets.Input];

    /// <inheritdoc />
    /// <remarks>a function of γ̂ (through γ) and the training loss.</remarks>
    public override string? DerivedFrom => FisherLogDetSubsampled.MetricId;

    /// <inheritdoc />
    public override MetricResult Compute(MetricContext context)
    {
        var s = context.Settings;
        var f = context.Get(FisherSubsets.Input);
        double w = context.P;
        var (gamma, gammaSe, _) = FisherLogDetExtrapolated.Gamma(f, w);
        var bound = FisherVolumeBound.Compute(context.Loss, gamma, w, context.N, s.FisherBoundVolume, s.BoundDelta);
        // The error of γ (fisher.logdet_extrapolated's), carried through the bound by the half-difference of the bound at
        // γ ± se(γ); NaN with one subset.
        double se = double.IsFinite(gammaSe)
            ? Math.Abs(FisherVolumeBound.Compute(context.Loss, gamma + gammaSe, w, context.N, s.FisherBoundVolume, s.BoundDelta).Value
                - FisherVolumeBound.Compute(context.Loss, gamma - gammaSe, w, context.N, s.FisherBoundVolume, s.BoundDelta).Value) / 2
            : double.NaN;
        return Result(context, bound.Value, se, [("volume", s.FisherBoundVolume), ("delta", s.BoundDelta), ("subset_size", f.SubsetSize),
            ("error", "that of γ (fisher.logdet_extrapolated's), carried through the bound: half the difference of the bound at γ ± se")], bound.Terms);
    }
}
