namespace Basin.Metrics;

/// <summary><c>hessian.trace_normalized</c>: Tr H / P, the mean eigenvalue, as seed 000's tables report it.</summary>
public sealed class HessianTraceNormalized() : Metric(MetricId, "trace of the Hessian divided by the number of parameters", "seed 000 Tables 1–5", CostClass.Moderate)
{
    /// <summary>Its id, <c>hessian.trace_normalized</c>.</summary>
    public const string MetricId = "hessian.trace_normalized";

    /// <inheritdoc />
    public override IReadOnlyList<MetricInput> Inputs(MeasureSettings settings) => DeflationInput.With(settings, ProbeSummary.HessianInput);

    /// <inheritdoc />
    /// <remarks>Tr H / P: the same order as hessian.trace in a population of one architecture.</remarks>
    public override string? DerivedFrom => HessianTrace.MetricId;

    /// <inheritdoc />
    public override MetricResult Compute(MetricContext context)
    {
        var t = context.Get(ProbeSummary.HessianInput).Trace;
        return Result(context, t.Value / context.P, t.StandardError / context.P, [("probes", t.Samples), ("parameters", context.P)]);
    }
}
