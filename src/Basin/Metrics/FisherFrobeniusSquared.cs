using Basin.Estimators;
namespace Basin.Metrics;

/// <summary>
/// <c>fisher.frobenius_sq</c>: ‖F_emp‖_F² = (1/N²) Σ_ij (g_iᵀ g_j)², estimated exactly on each subset as
/// ‖J_t J_tᵀ‖_F² / N′² and averaged over subsets (seed 001 baseline). The Appendix D approximation
/// (1/N) Σ ‖g_i‖⁴ is reported as the term <c>appendix_d</c>.
/// </summary>
public sealed class FisherFrobeniusSquared() : Metric("fisher.frobenius_sq", "squared Frobenius norm of the empirical Fisher", "seed 001 §7 baselines, Appendix D", CostClass.Expensive)
{
    /// <inheritdoc />
    public override MetricResult Compute(MetricContext context)
    {
        var f = context.Fisher;
        double n2 = (double)f.SubsetSize * f.SubsetSize;
        var (mean, se) = RunningStatistics.MeanAndError(f.GramFrobeniusSquared.Select(x => x / n2).ToArray());
        double appendix = f.SquaredNorms.Average(x => x * x);
        return Result(context, mean, se, [("subset_size", f.SubsetSize), ("subsets", f.GramFrobeniusSquared.Length)], [("appendix_d", appendix)]);
    }
}
