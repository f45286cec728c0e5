using Basin.Estimators;
namespace Basin.Metrics;

/// <summary>
/// <c>fisher.logdet_subsampled</c>, γ̂ of seed 001 eq. 5: <c>γ̂(w) = (1/T) Σ_t ln det(J_t J_tᵀ)</c>, the rows of
/// J_t the per-sample gradients at the true labels of a random subset S_t of N′ samples (N′ = T = 100).
/// ln det by Cholesky of the Gram matrix in float64; a singular Gram matrix has its eigenvalues floored at
/// ε and is counted (term <c>singular</c>).
/// </summary>
public sealed class FisherLogDetSubsampled() : Metric(MetricId, "γ̂: mean log-det of per-sample-gradient Gram matrices", "seed 001 eq. 3, 5", CostClass.Expensive)
{
    /// <summary>Its id, <c>fisher.logdet_subsampled</c>.</summary>
    public const string MetricId = "fisher.logdet_subsampled";

    /// <inheritdoc />
    public override IReadOnlyList<MetricInput> Inputs(MeasureSettings settings) => [FisherSubsets.Input];

    /// <inheritdoc />
    public override MetricResult Compute(MetricContext context)
    {
        var f = context.Get(FisherSubsets.Input);
        var (mean, se) = RunningStatistics.MeanAndError(f.LogDets);
        return Result(context, mean, se, [("subset_size", f.SubsetSize), ("subsets", f.LogDets.Length), ("labels", "true"), ("floor", context.Settings.GramFloor), f.MethodSetting],
            [("singular", f.Singular)]);
    }
}
