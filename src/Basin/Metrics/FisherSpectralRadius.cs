using Basin.Estimators;
namespace Basin.Metrics;

/// <summary>
/// <c>fisher.spectral_radius</c>: ρ(F_emp) ≈ (1/T) Σ_t ‖J_t‖₂² / N′, the squared top singular value of each
/// subset's per-sample gradient matrix (seed 001 baseline, Appendix D).
/// </summary>
public sealed class FisherSpectralRadius() : Metric("fisher.spectral_radius", "largest eigenvalue of the empirical Fisher from sub-sampled gradients", "seed 001 §7 baselines, Appendix D", CostClass.Expensive)
{
    /// <inheritdoc />
    public override MetricResult Compute(MetricContext context)
    {
        var f = context.Fisher;
        var (mean, se) = RunningStatistics.MeanAndError(f.SpectralNormsSquared.Select(x => x / f.SubsetSize).ToArray());
        return Result(context, mean, se, [("subset_size", f.SubsetSize), ("subsets", f.SpectralNormsSquared.Length)]);
    }
}
