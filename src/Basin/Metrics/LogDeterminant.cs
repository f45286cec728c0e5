using Basin.Estimators;

namespace Basin.Metrics;

/// <summary>
/// <c>hessian.logdet</c>: log|H̃| with H̃ = G + δI — the spec's id says "hessian", but the matrix is the GGN
/// G, the positive semi-definite stand-in for H that seed 000's Laplace posterior needs (the Hessian of a
/// trained network has negative eigenvalues, whose log is undefined); δ = 1e-4 by default. Stochastic
/// Lanczos quadrature with f = log, with the standard error over starts (seed 000 eq. 6 and 9).
/// </summary>
public sealed class LogDeterminant() : Metric("hessian.logdet", "log-determinant of G + δI by SLQ", "seed 000 eq. 6, 9", CostClass.Expensive)
{
    /// <inheritdoc />
    public override MetricResult Compute(MetricContext context)
    {
        var estimate = context.GgnLogDeterminant;
        return Result(context, estimate.Value, estimate.StandardError, estimate.Settings.Select(s => (s.Key, (object)s.Value)));
    }

    /// <summary>The damped log-determinant of the context's GGN (computed once per context, see <see cref="MetricContext.GgnLogDeterminant"/>).</summary>
    internal static Estimate Run(MetricContext context)
    {
        var s = context.Settings;
        var slq = context.Ledger.Counted(context.Ggn, () => StochasticLanczosQuadrature.Run(context.Ggn, s.SlqSteps, s.SlqStarts, s.SeedFor(SeedStream.GgnSpectrum)));
        return slq.LogDeterminant(s.Damping);
    }
}
