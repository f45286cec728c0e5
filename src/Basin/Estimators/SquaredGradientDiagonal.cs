using Basin.Operators;
using static TorchSharp.torch;

namespace Basin.Estimators;

/// <summary>
/// The proxy for the Hessian diagonal that seed 003 §7 uses: the exponential moving average of squared
/// mini-batch gradients at fixed weights, <c>h ← β h + (1 − β) g_B²</c> with β = 0.999 and Adam's bias
/// correction <c>h / (1 − β^t)</c> — i.e. a weighted mean over the mini-batches of the data. β = 0 gives
/// the last batch's squared gradient; use β close to 1 for the mean. Not an unbiased Hessian estimate:
/// it is the diagonal of the (mini-batch) empirical Fisher scaled by the batch.
/// </summary>
public static class SquaredGradientDiagonal
{
    /// <summary>Runs over the operator's data in mini-batches of <paramref name="batchSize"/>.</summary>
    public static DiagonalEstimate Compute(CurvatureOperator op, int batchSize = 128, double beta = 0.999)
    {
        if (!(beta >= 0 && beta < 1)) throw new ArgumentException($"β must be in [0, 1), got {beta}");
        using var scope = NewDisposeScope();
        var h = zeros(op.Dimension, ScalarType.Float64, op.Device);
        int t = 0;
        foreach (var g in op.MiniBatchGradients(batchSize))
        {
            using (g)
            {
                t++;
                h.mul_(beta).add_(g.to(ScalarType.Float64).square(), alpha: 1 - beta);
            }
        }
        var corrected = h / (1 - Math.Pow(beta, t));
        return new DiagonalEstimate(corrected.to(op.DType).MoveToOuterDisposeScope(), null, 0, t, EstimateStatus.BudgetExhausted,
            Estimate.With(("estimator", "squared-gradient-ema"), ("beta", beta), ("batch_size", batchSize), ("batches", t)));
    }
}
