using Basin.Estimators;
namespace Basin.Metrics;

/// <summary>
/// <c>norm.fisher_rao</c>: the Fisher-Rao norm baseline of seed 004 eq. 25, Σ_i w_i² E_z[(∂ℓ_z/∂w_i)²],
/// the expectation over the sampled per-sample gradients (true labels).
/// </summary>
public sealed class FisherRaoNorm() : Metric(MetricId, "Fisher-Rao norm baseline Σ w_i² E[(∂ℓ/∂w_i)²]", "seed 004 eq. 25; Liang et al. 2019", CostClass.Expensive)
{
    /// <summary>Its id, <c>norm.fisher_rao</c>.</summary>
    public const string MetricId = "norm.fisher_rao";

    /// <inheritdoc />
    public override IReadOnlyList<MetricInput> Inputs(MeasureSettings settings) => [FisherSubsets.Input];

    /// <inheritdoc />
    public override MetricResult Compute(MetricContext context)
    {
        var f = context.Get(FisherSubsets.Input);
        var (mean, se) = RunningStatistics.MeanAndError(f.FisherRao);
        return Result(context, mean, se, [("samples", f.FisherRao.Length)]);
    }
}
