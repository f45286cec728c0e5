using Basin.Estimators;
using Basin.Operators;
using static TorchSharp.torch;

namespace Basin.Metrics;

/// <summary>The curvature diagonals the metrics share, by the estimator the settings choose.</summary>
public static class DiagonalInputs
{
    /// <summary>
    /// The diagonal of <paramref name="op"/> by <see cref="MeasureSettings.Diagonal"/>, computed afresh (not
    /// cached) and charged to the current metric; the Hutchinson probes are those of the Hessian's shared
    /// probes (same seed). The caller owns the result.
    /// </summary>
    public static DiagonalEstimate Of(MetricContext context, CurvatureOperator op)
    {
        var s = context.Settings;
        var estimate = s.Diagonal switch
        {
            DiagonalEstimator.Exact => context.Ledger.Counted(op, () => ExactDiagonal.Compute(op)),
            DiagonalEstimator.FiniteDifference => FiniteDifference(context, op),
            DiagonalEstimator.SquaredGradient => SquaredGradient(context, op),
            _ => context.Ledger.Counted(op, () => HutchinsonDiagonal.Compute(op, s.TraceProbes, s.SeedFor(SeedStream.HessianProbes))),
        };
        return estimate.Detached();
    }

    /// <summary>The finite-difference diagonal of the normalized-loss Hessian (exact when the settings ask for exact), clipped at 0 (seed 004 Algorithm 1).</summary>
    public static Tensor Normalized(MetricContext context)
    {
        var op = context.NormalizedHessian;
        using var diagonal = context.Settings.Diagonal == DiagonalEstimator.Exact
            ? context.Ledger.Counted(op, () => ExactDiagonal.Compute(op))
            : FiniteDifference(context, op);
        return diagonal.Values.clamp_min(0).DetachFromDisposeScope();
    }

    private static DiagonalEstimate FiniteDifference(MetricContext context, CurvatureOperator op)
    {
        var s = context.Settings;
        var result = FiniteDifferenceDiagonal.Compute(op, s.FiniteDifferenceProbes, s.FiniteDifferenceStep, s.SeedFor(SeedStream.FiniteDifference));
        context.Ledger.Charge(new MetricCost(Gradients: 2L * s.FiniteDifferenceProbes));
        return result;
    }

    private static DiagonalEstimate SquaredGradient(MetricContext context, CurvatureOperator op)
    {
        var result = SquaredGradientDiagonal.Compute(op, context.Settings.LaplaceBatch);
        context.Ledger.Charge(new MetricCost(Gradients: 1));
        return result;
    }
}
