namespace Basin.Metrics;

/// <summary><c>baseline.param_count</c>: P, the number of trainable parameters (Jiang et al. 2020 §6, "number of parameters").</summary>
public sealed class ParameterCountBaseline() : Metric(MetricId, "number of trainable parameters P", "Jiang et al. 2020 §6 (baseline)", CostClass.Cheap)
{
    /// <summary>Its id, <c>baseline.param_count</c>.</summary>
    public const string MetricId = "baseline.param_count";

    /// <inheritdoc />
    public override MetricRole Role => MetricRole.Baseline;

    /// <inheritdoc />
    public override MetricResult Compute(MetricContext context) => Result(context, context.P, 0);
}
