using Basin.Estimators;
using Basin.Operators;

namespace Basin.Metrics;

/// <summary>
/// <c>hessian.logdet</c>: log|H̃| with H̃ = G + δI (the GGN, positive semi-definite, damped; δ = 1e-4 by
/// default) by stochastic Lanczos quadrature with f = log, with the standard error over starts (seed 000
/// eq. 6 and 9).
/// </summary>
public sealed class HessianLogDeterminant() : Metric("hessian.logdet", "log-determinant of G + δI by SLQ", "seed 000 eq. 6, 9", CostClass.Expensive)
{
    /// <inheritdoc />
    public override MetricResult Compute(MetricContext context)
    {
        var estimate = Shared(context);
        return Result(context, estimate.Value, estimate.StandardError, estimate.Settings.Select(s => (s.Key, (object)s.Value)));
    }

    /// <summary>The damped log-determinant, computed once per context.</summary>
    public static Estimate Shared(MetricContext context) => context.Get("ggn.logdet", () =>
    {
        var op = context.Ggn;
        long before = op.Products;
        var slq = StochasticLanczosQuadrature.Run(op, context.Settings.SlqSteps, context.Settings.SlqStarts, context.Settings.Seed + 41);
        context.Charge(new MetricCost(CurvatureProducts: op.Products - before));
        return slq.LogDeterminant(context.Settings.Damping);
    });
}
