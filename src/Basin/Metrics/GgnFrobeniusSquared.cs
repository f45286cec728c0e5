namespace Basin.Metrics;

/// <summary><c>ggn.frobenius_sq</c>: ‖G‖_F² = Tr G², the mean of ‖Gv‖² over Rademacher v.</summary>
public sealed class GgnFrobeniusSquared() : Metric("ggn.frobenius_sq", "squared Frobenius norm of the GGN, Tr G²", "seed 002 §3 (on G)", CostClass.Moderate)
{
    /// <inheritdoc />
    public override MetricResult Compute(MetricContext context)
    {
        var t = context.GgnProbes.FrobeniusSquared;
        return Result(context, t.Value, t.StandardError, t.Settings.Select(s => (s.Key, (object)s.Value)));
    }
}
