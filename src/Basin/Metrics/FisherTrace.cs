using Basin.Estimators;
namespace Basin.Metrics;

/// <summary><c>fisher.trace</c>: tr F_emp ≈ (1/N) Σ ‖g_i‖² over the sampled per-sample gradients (seed 001 §6).</summary>
public sealed class FisherTrace() : Metric(MetricId, "trace of the empirical Fisher, mean ‖g_i‖²", "seed 001 §6, eq. 6", CostClass.Expensive)
{
    /// <summary>Its id, <c>fisher.trace</c>.</summary>
    public const string MetricId = "fisher.trace";

    /// <inheritdoc />
    public override IReadOnlyList<MetricInput> Inputs(MeasureSettings settings) => [FisherSubsets.Input];

    /// <inheritdoc />
    public override MetricResult Compute(MetricContext context)
    {
        var f = context.Get(FisherSubsets.Input);
        var (mean, se) = RunningStatistics.MeanAndError(f.SquaredNorms);
        return Result(context, mean, se, [("samples", f.SquaredNorms.Length), ("labels", "true"), f.MethodSetting]);
    }
}
