namespace Basin.Metrics;

/// <summary><c>hessian.frobenius_sq</c>: ‖H‖_F² = Tr H² as the mean of ‖Hv‖² over Rademacher v (seed 002 §3).</summary>
public sealed class HessianFrobeniusSquared() : Metric(MetricId, "squared Frobenius norm of the Hessian, Tr H²", "seed 002 §3; seed 000 eq. 10–12", CostClass.Moderate)
{
    /// <summary>Its id, <c>hessian.frobenius_sq</c>.</summary>
    public const string MetricId = "hessian.frobenius_sq";

    /// <inheritdoc />
    public override IReadOnlyList<MetricInput> Inputs(MeasureSettings settings) => DeflationInput.With(settings, ProbeSummary.HessianInput);

    /// <inheritdoc />
    public override MetricResult Compute(MetricContext context)
    {
        var t = context.Get(ProbeSummary.HessianInput).FrobeniusSquared;
        return Result(context, t.Value, t.StandardError, t.Settings.Select(s => (s.Key, (object)s.Value)));
    }
}
