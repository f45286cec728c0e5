using Basin.Estimators;
namespace Basin.Metrics;

/// <summary>
/// <c>fisher.logdet_extrapolated</c>: γ(w) ≈ (W/N′) γ̂(w) + W ln W with W = P, the right side of seed 001
/// eq. 5 (the log-determinant of the full Fisher extrapolated from the sub-sampled Gram matrices).
/// </summary>
public sealed class FisherLogDetExtrapolated() : Metric("fisher.logdet_extrapolated", "γ: γ̂ extrapolated to the full Fisher, (W/N′)γ̂ + W ln W", "seed 001 eq. 5", CostClass.Expensive)
{
    /// <inheritdoc />
    /// <remarks>an affine function of γ̂.</remarks>
    public override string? DerivedFrom => "fisher.logdet_subsampled";

    /// <inheritdoc />
    public override MetricResult Compute(MetricContext context)
    {
        var f = context.Fisher;
        var (mean, se) = RunningStatistics.MeanAndError(f.LogDets);
        double w = context.P, ratio = w / f.SubsetSize;
        return Result(context, ratio * mean + w * Math.Log(w), ratio * se, [("subset_size", f.SubsetSize), ("subsets", f.LogDets.Length), ("W", w)],
            [("gamma_hat", mean)]);
    }
}
