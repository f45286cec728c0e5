using Basin.Operators;
using static TorchSharp.torch;

namespace Basin.Estimators;

/// <summary>
/// Hutchinson's diagonal estimator <c>diag A ≈ mean of v ⊙ Av</c> over Rademacher v (Bekas, Kokiopoulou,
/// Saad 2007), with per-entry standard errors.
/// </summary>
public static class HutchinsonDiagonal
{
    /// <summary>Estimates the diagonal with <paramref name="probes"/> products.</summary>
    public static DiagonalEstimate Compute(ILinearOperator op, int probes, int seed = 0)
    {
        if (probes < 2) throw new ArgumentException($"at least 2 probes are needed for a standard error, got {probes}");
        return Compute(op, new StoppingRule(probes), seed);
    }

    /// <summary>
    /// Estimates the diagonal, one product per probe, until <paramref name="rule"/> stops it: its budget, its time, or — with a
    /// tolerance — once ‖se‖/‖diag‖ over all entries is within it (<see cref="DiagonalAccumulator.RelativeError"/>); at least 2 probes.
    /// </summary>
    public static DiagonalEstimate Compute(ILinearOperator op, StoppingRule rule, int seed = 0)
    {
        rule.Validate();
        if (rule.MaxIterations < 2) throw new ArgumentException($"at least 2 probes are needed for a standard error, got {rule.MaxIterations}");
        rule = rule with { MinIterations = Math.Max(2, rule.MinIterations) };
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var scope = NewDisposeScope();
        using var draws = new Probes(op, seed);
        long before = op.Products;
        using var samples = new DiagonalAccumulator(op.Dimension, op.Device);
        EstimateStatus? status = null;
        while (status is null)
        {
            using (NewDisposeScope())
            {
                var v = draws.Rademacher();
                samples.Add(v * op.Apply(v));
            }
            status = rule.Check(samples.Count, rule.RelativeTolerance > 0 ? samples.RelativeError : double.PositiveInfinity, clock);
        }
        var (mean, se) = samples.Result(op.DType);
        return new DiagonalEstimate(mean.MoveToOuterDisposeScope(), se.MoveToOuterDisposeScope(), op.Products - before, samples.Count, status.Value,
            Estimate.With(("estimator", "hutchinson"), ("probes", samples.Count), ("seed", seed), ("stopping", rule)));
    }
}
