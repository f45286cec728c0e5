using Basin.Operators;
using static TorchSharp.torch;

namespace Basin.Estimators;

/// <summary>
/// The Hessian diagonal by central differences of gradients along Rademacher directions (seed 004 eq. 61):
/// <c>h ≈ E[ε ⊙ (∇L(w + r⊙ε) − ∇L(w − r⊙ε)) / 2r]</c>, with a step r per weight tensor proportional to
/// its scale, <c>r = c · ‖W‖_F / √numel</c> (c = 1e-3 by default; c itself for an all-zero tensor).
/// Two gradient evaluations per probe, no second-order autograd. The weights are restored afterwards.
/// </summary>
public static class FiniteDifferenceDiagonal
{
    /// <summary>Estimates the diagonal of the Hessian of <paramref name="op"/>'s loss with <paramref name="probes"/> probes.</summary>
    public static DiagonalEstimate Compute(CurvatureOperator op, int probes = 16, double relativeStep = 1e-3, int seed = 0)
    {
        if (probes < 2) throw new ArgumentException($"at least 2 probes are needed for a standard error, got {probes}");
        if (!(relativeStep > 0)) throw new ArgumentException($"the relative step must be positive, got {relativeStep}");
        using var scope = NewDisposeScope();
        using var draws = new Probes(op, seed);
        var steps = ParameterSelection.Flatten(op.Parameters.Select(p =>
        {
            double norm = p.detach().norm().to(ScalarType.Float64).item<double>();
            double r = norm > 0 ? relativeStep * norm / Math.Sqrt(p.numel()) : relativeStep;
            return full(p.shape, r, p.dtype, p.device);
        }));
        using var samples = new DiagonalAccumulator(op.Dimension, op.Device);
        using (var swap = new WeightSwap(op.Parameters))
        {
            for (int i = 0; i < probes; i++)
            {
                using var inner = NewDisposeScope();
                var eps = draws.Rademacher();
                swap.Set(swap.Original + steps * eps);
                var plus = op.Gradient();
                swap.Set(swap.Original - steps * eps);
                var minus = op.Gradient();
                samples.Add(eps * (plus - minus) / (2 * steps));
            }
        }
        var (mean, se) = samples.Result(op.DType);
        return new DiagonalEstimate(mean.MoveToOuterDisposeScope(), se.MoveToOuterDisposeScope(), 0, probes, EstimateStatus.BudgetExhausted,
            Estimate.With(("estimator", "finite-difference"), ("probes", probes), ("gradients", 2 * probes), ("relative_step", relativeStep), ("seed", seed)));
    }
}
