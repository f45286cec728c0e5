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
        using var scope = NewDisposeScope();
        using var draws = new Probes(op, seed);
        long before = op.Products;
        using var samples = new DiagonalAccumulator(op.Dimension, op.Device);
        for (int i = 0; i < probes; i++)
        {
            using var inner = NewDisposeScope();
            var v = draws.Rademacher();
            samples.Add(v * op.Apply(v));
        }
        var (mean, se) = samples.Result(op.DType);
        return new DiagonalEstimate(mean.MoveToOuterDisposeScope(), se.MoveToOuterDisposeScope(), op.Products - before, probes, EstimateStatus.BudgetExhausted,
            Estimate.With(("estimator", "hutchinson"), ("probes", probes), ("seed", seed)));
    }
}
