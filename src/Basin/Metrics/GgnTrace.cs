namespace Basin.Metrics;

/// <summary><c>ggn.trace</c>: Tr G, Hutchinson on the generalized Gauss-Newton matrix (seed 000 §6 uses it for its regulariser).</summary>
public sealed class GgnTrace() : Metric(MetricId, "trace of the generalized Gauss-Newton matrix", "seed 000 §6 eq. 13", CostClass.Moderate)
{
    /// <summary>Its id, <c>ggn.trace</c>.</summary>
    public const string MetricId = "ggn.trace";

    /// <inheritdoc />
    public override IReadOnlyList<MetricInput> Inputs(MeasureSettings settings) => DeflationInput.With(settings, ProbeSummary.GgnInput);

    /// <inheritdoc />
    public override MetricResult Compute(MetricContext context)
    {
        var t = context.Get(ProbeSummary.GgnInput).Trace;
        return Result(context, t.Value, t.StandardError, t.Settings.Select(s => (s.Key, (object)s.Value)));
    }
}
