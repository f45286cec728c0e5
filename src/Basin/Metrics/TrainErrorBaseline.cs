namespace Basin.Metrics;

/// <summary>
/// <c>baseline.train_error</c>: the 0-1 training error on the measured samples, a zero-cost baseline (Jiang et al. 2020 §6).
/// Exact for the measured set: standard error 0.
/// </summary>
public sealed class TrainErrorBaseline() : Metric(MetricId, "training error on the measured samples", "Jiang et al. 2020 §6 (baseline)", CostClass.Cheap)
{
    /// <summary>Its id, <c>baseline.train_error</c>.</summary>
    public const string MetricId = "baseline.train_error";

    /// <inheritdoc />
    public override MetricRole Role => MetricRole.Baseline;

    /// <inheritdoc />
    public override MetricResult Compute(MetricContext context) => Result(context, context.ZeroOneError, 0, [("samples", context.N)]);
}
