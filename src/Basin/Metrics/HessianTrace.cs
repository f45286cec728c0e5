namespace Basin.Metrics;

/// <summary>
/// <c>hessian.trace</c>: Tr H of the training loss by Hutchinson's estimator with Rademacher probes
/// (or Hutch++), seeds 000 and 002 (the "trace norm" baseline of seed 004 eq. 5).
/// </summary>
public sealed class HessianTrace() : Metric(MetricId, "trace of the Hessian of the training loss", "seed 000 §3, seed 002 §3; Hutchinson 1989", CostClass.Moderate)
{
    /// <summary>Its id, <c>hessian.trace</c>.</summary>
    public const string MetricId = "hessian.trace";

    /// <inheritdoc />
    public override IReadOnlyList<MetricInput> Inputs(MeasureSettings settings) => DeflationInput.With(settings, ProbeSummary.HessianInput);

    /// <inheritdoc />
    public override MetricResult Compute(MetricContext context)
    {
        var t = context.Get(ProbeSummary.HessianInput).Trace;
        return Result(context, t.Value, t.StandardError, t.Settings.Select(s => (s.Key, (object)s.Value)));
    }
}
