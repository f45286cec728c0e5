namespace Basin.Metrics;

/// <summary><c>ggn.frobenius_sq</c>: ‖G‖_F² = Tr G², the mean of ‖Gv‖² over Rademacher v.</summary>
public sealed class GgnFrobeniusSquared() : Metric(MetricId, "squared Frobenius norm of the GGN, Tr G²", "seed 002 §3 (on G)", CostClass.Moderate)
{
    /// <summary>Its id, <c>ggn.frobenius_sq</c>.</summary>
    public const string MetricId = "ggn.frobenius_sq";

    /// <inheritdoc />
    public override IReadOnlyList<MetricInput> Inputs(MeasureSettings settings) => DeflationInput.With(settings, ProbeSummary.GgnInput);

    /// <inheritdoc />
    public override MetricResult Compute(MetricContext context)
    {
        var t = context.Get(ProbeSummary.GgnInput).FrobeniusSquared;
        return Result(context, t.Value, t.StandardError, t.Settings.Select(s => (s.Key, (object)s.Value)));
    }
}
