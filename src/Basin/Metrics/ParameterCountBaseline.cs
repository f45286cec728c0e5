namespace Basin.Metrics;

/// <summary><c>baseline.param_count</c>: P, the number of trainable parameters (Jiang et al. 2020 §6, "number of parameters").</summary>
public sealed class ParameterCountBaseline() : Metric("baseline.param_count", "number of trainable parameters P", "Jiang et al. 2020 §6 (baseline)", CostClass.Cheap)
{
    /// <inheritdoc />
    public override MetricRole Role => MetricRole.Baseline;

    /// <inheritdoc />
    public override MetricResult Compute(MetricContext context) => Result(context, context.P, 0);
}
