using Basin.Estimators;

namespace Basin.Metrics;

/// <summary>
/// <c>fisher.frobenius_sq</c>: ‖F_emp‖_F² of the measured set (seed 001 baseline; spec revision of 2026-11-25).
/// By default the unbiased U-statistic <c>(1/(N′(N′−1))) Σ_{i≠j} (g_iᵀg_j)²</c> on each subset of N′ per-sample
/// gradients, averaged over subsets with its standard error: its expectation over subsets is the same
/// statistic over all measured pairs. The subset form ‖J_tJ_tᵀ‖_F²/N′² adds the i = j terms mean‖g‖⁴/N′ and is
/// biased upward (measured 645 vs 395 on 2048 samples); it is an option (<see cref="FisherNormForm.Subsets"/>)
/// and a term. The Appendix D approximation (1/N) Σ ‖g_i‖⁴ is the term <c>appendix_d</c>.
/// </summary>
public sealed class FisherFrobeniusSquared() : Metric(MetricId, "squared Frobenius norm of the empirical Fisher (unbiased U-statistic)", "seed 001 §7 baselines, Appendix D", CostClass.Expensive)
{
    /// <summary>Its id, <c>fisher.frobenius_sq</c>.</summary>
    public const string MetricId = "fisher.frobenius_sq";

    /// <inheritdoc />
    public override IReadOnlyList<MetricInput> Inputs(MeasureSettings settings) => [FisherSubsets.Input];

    /// <inheritdoc />
    public override MetricResult Compute(MetricContext context)
    {
        var f = context.Get(FisherSubsets.Input);
        double n = f.SubsetSize;
        var (unbiased, unbiasedError) = RunningStatistics.MeanAndError(f.GramOffDiagonalSquared.Select(x => x / (n * (n - 1))));
        var (subset, subsetError) = RunningStatistics.MeanAndError(f.GramFrobeniusSquared.Select(x => x / (n * n)));
        double appendix = f.SquaredNorms.Average(x => x * x);
        bool u = context.Settings.FisherNorms == FisherNormForm.Unbiased;
        return Result(context, u ? unbiased : subset, u ? unbiasedError : subsetError,
            [("form", u ? "u-statistic" : "subsets"), ("subset_size", f.SubsetSize), ("subsets", f.GramFrobeniusSquared.Length)],
            [("u_statistic", unbiased), ("subset_form", subset), ("appendix_d", appendix)]);
    }
}
