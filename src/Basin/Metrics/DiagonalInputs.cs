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
    public static DiagonalEstimate Of(MetricContext context, CurvatureOperator op) => Of(context, op, context.Settings.Diagonal);

    /// <summary>The diagonal of <paramref name="op"/> by <paramref name="estimator"/> (<see cref="DiagonalEstimator.Ggn"/>: of the GGN of op's model and data, whatever op is).</summary>
    public static DiagonalEstimate Of(MetricContext context, CurvatureOperator op, DiagonalEstimator estimator)
    {
        var s = context.Settings;
        var estimate = estimator switch
        {
            DiagonalEstimator.Ggn => Ggn(context, op),
            DiagonalEstimator.Exact => context.Ledger.Counted(op, () => ExactDiagonal.Compute(op)),
            DiagonalEstimator.FiniteDifference => FiniteDifference(context, op),
            DiagonalEstimator.SquaredGradient => SquaredGradient(context, op),
            _ => context.Ledger.Counted(op, () => HutchinsonDiagonal.Compute(op, s.Rule(s.TraceProbes, MeasureSettings.Minimums.Probes), s.SeedFor(SeedStream.HessianProbes))),
        };
        return estimate.Detached();
    }

    /// <summary>The finite-difference diagonal of the normalized-loss Hessian: two gradients per probe of each group (the exact one's products are not counted).</summary>
    public static MetricInput NormalizedInput { get; } = new("normalized-loss diagonal", (s, _, _) =>
        s.Diagonal == DiagonalEstimator.Exact ? new MetricCost() : new MetricCost(Gradients: 2L * Groups(s).Probes * Groups(s).Count));

    private static (int Count, int Probes) Groups(MeasureSettings s)
    {
        int groups = s.FiniteDifferenceProbes >= 8 ? 4 : s.FiniteDifferenceProbes >= 4 ? 2 : 1;
        return (groups, Math.Max(2, s.FiniteDifferenceProbes / groups));
    }

    /// <summary>
    /// The finite-difference diagonal of the normalized-loss Hessian (exact when the settings ask for exact),
    /// clipped at 0 (seed 004 Algorithm 1), from independent groups of probes (4 groups from 8 probes up, 2 from
    /// 4): their mean is the estimate and the spread of a metric over the groups gives its standard error.
    /// </summary>
    public static NormalizedDiagonals Normalized(MetricContext context)
    {
        var op = context.NormalizedHessian;
        var s = context.Settings;
        if (s.Diagonal == DiagonalEstimator.Exact)
        {
            using var exact = context.Ledger.Counted(op, () => ExactDiagonal.Compute(op));
            return new NormalizedDiagonals(exact.Values.clamp_min(0).DetachFromDisposeScope(), []);
        }
        var (groups, probes) = Groups(s);
        var means = new List<Tensor>();
        using var scope = NewDisposeScope();
        for (int g = 0; g < groups; g++)
        {
            using var d = FiniteDifferenceDiagonal.Compute(op, probes, s.FiniteDifferenceStep, s.SeedFor(SeedStream.FiniteDifference) + 1000 * g);
            means.Add(d.Values.clone());
        }
        context.Ledger.Charge(new MetricCost(Gradients: 2L * probes * groups));
        var mean = stack(means).mean([0]).clamp_min(0).DetachFromDisposeScope();
        var clipped = groups > 1 ? means.Select(m => m.clamp_min(0).DetachFromDisposeScope()).ToArray() : [];
        return new NormalizedDiagonals(mean, clipped);
    }

    private static DiagonalEstimate FiniteDifference(MetricContext context, CurvatureOperator op)
    {
        var s = context.Settings;
        var result = FiniteDifferenceDiagonal.Compute(op, s.FiniteDifferenceProbes, s.FiniteDifferenceStep, s.SeedFor(SeedStream.FiniteDifference));
        context.Ledger.Charge(new MetricCost(Gradients: 2L * s.FiniteDifferenceProbes));
        return result;
    }

    private static DiagonalEstimate Ggn(MetricContext context, CurvatureOperator op)
    {
        var (values, passes) = GgnDiagonal.Compute(op);
        context.Ledger.Charge(new MetricCost(PerSampleGradients: passes));
        return new DiagonalEstimate(values, null, 0, (int)op.Data.Count, EstimateStatus.Converged, Estimate.With(("estimator", "exact-ggn"), ("passes", passes)));
    }

    private static DiagonalEstimate SquaredGradient(MetricContext context, CurvatureOperator op)
    {
        var result = SquaredGradientDiagonal.Compute(op, context.Settings.LaplaceBatch);
        context.Ledger.Charge(new MetricCost(Gradients: 1));
        return result;
    }
}
