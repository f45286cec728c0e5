using Basin.Estimators;
namespace Basin.Metrics;

/// <summary>
/// <c>fisher.logdet_extrapolated</c>: γ(w) ≈ (W/N′) γ̂(w) + W ln W with W = P, the right side of seed 001
/// eq. 5 (the log-determinant of the full Fisher extrapolated from the sub-sampled Gram matrices).
/// </summary>
public sealed class FisherLogDetExtrapolated() : Metric(MetricId, "γ: γ̂ extrapolated to the full Fisher, (W/N′)γ̂ + W ln W", "seed 001 eq. 5", CostClass.Expensive)
{
    /// <summary>Its id, <c>fisher.logdet_extrapolated</c>.</summary>
    public const string MetricId = "fisher.logdet_extrapolated";

    /// <inheritdoc />
    public override IReadOnlyList<MetricInput> Inputs(MeasureSettings settings) => [FisherSubsets.Input];

    /// <inheritdoc />
    /// <remarks>an affine function of γ̂.</remarks>
    public override string? DerivedFrom => FisherLogDetSubsampled.MetricId;

    /// <inheritdoc />
    public override MetricResult Compute(MetricContext context)
    {
        var f = context.Get(FisherSubsets.Input);
        double w = context.P;
        var (gamma, se, gammaHat) = Gamma(f, w);
        return Result(context, gamma, se, [("subset_size", f.SubsetSize), ("subsets", f.LogDets.Length), ("W", w)],
            [("gamma_hat", gammaHat)]);
    }

    /// <summary>γ = (W/N′) γ̂ + W ln W and its standard error, (W/N′) times that of γ̂ (the mean ln det ξ_t); also γ̂.</summary>
    internal static (double Gamma, double StandardError, double GammaHat) Gamma(FisherSubsets f, double w)
    {
        var (mean, se) = RunningStatistics.MeanAndError(f.LogDets);
        double ratio = w / f.SubsetSize;
        return (ratio * mean + w * Math.Log(w), ratio * se, mean);
    }
}
