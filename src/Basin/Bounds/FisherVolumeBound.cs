using Basin.Metrics;

namespace Basin.Bounds;

/// <summary>
/// <c>bound.fisher_volume</c>, the PAC-Bayes bound of seed 001 Theorem 1 (uniform prior over the level set
/// M(w₀) of volume V, quadratic loss inside it): with
/// <c>A = W · V^{2/W} · π^{1/W} · |I(w₀)|^{1/W} / (4πe)</c> (ln|I| taken as the extrapolated γ) and
/// <c>h = L₀ + A</c>, <c>E_Q L(D) ≤ h + 2 √((2h + ln(2N/δ)) / (N − 1))</c>. V is a free hyper-parameter (reported).
/// Computed in log space: W is the number of parameters.
/// </summary>
public sealed class FisherVolumeBound() : Metric("bound.fisher_volume", "seed 001 Theorem 1 PAC-Bayes bound from the Fisher log-determinant", "seed 001 Theorem 1", CostClass.Expensive)
{
    /// <inheritdoc />
    public override MetricResult Compute(MetricContext context)
    {
        var s = context.Settings;
        var f = context.Fisher;
        double w = context.P, n = context.N;
        double gammaHat = f.LogDets.Average();
        double gamma = w / f.SubsetSize * gammaHat + w * Math.Log(w);
        double logA = Math.Log(w) + (2 * Math.Log(s.FisherBoundVolume) + Math.Log(Math.PI) + gamma) / w - Math.Log(4 * Math.PI * Math.E);
        double a = Math.Exp(logA);
        double h = context.Loss + a;
        double bound = h + 2 * Math.Sqrt((2 * h + Math.Log(2 * n / s.BoundDelta)) / (n - 1));
        return Result(context, bound, double.NaN, [("volume", s.FisherBoundVolume), ("delta", s.BoundDelta), ("subset_size", f.SubsetSize)],
            [("empirical", context.Loss), ("complexity_A", a), ("log_A", logA), ("gamma", gamma)]);
    }
}
