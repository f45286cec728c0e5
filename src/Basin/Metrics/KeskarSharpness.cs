using static TorchSharp.torch;

namespace Basin.Metrics;

/// <summary>
/// <c>sharpness.keskar</c>: φ(ε, A) = 100 · (max_{z∈C_ε} L(w + Az) − L(w)) / (1 + L(w)) with
/// C_ε = {z : |z_i| ≤ ε(|(A⁺w)_i| + 1)} (Keskar et al. 2017; seed 002 eq. 2, seed 003 def. 2), A = I.
/// The inner maximum by projected sign-gradient ascent from z = 0 (step 2.5·bound/steps, as in PGD),
/// keeping the largest loss seen; default 20 steps, ε = 1e-3.
/// </summary>
public sealed class KeskarSharpness() : Metric("sharpness.keskar", "worst-case loss increase in an ε-box around w (Keskar sharpness)", "seed 002 eq. 2, seed 003 def. 2; Keskar et al. 2017", CostClass.Moderate)
{
    /// <inheritdoc />
    public override MetricResult Compute(MetricContext context)
    {
        var s = context.Settings;
        double loss = context.Loss;
        using var scope = NewDisposeScope();
        var w = context.Weights;
        var bound = (w.abs() + 1) * s.KeskarEpsilon;
        var z = zeros_like(w);
        double best = loss;
        for (int step = 0; step < s.KeskarSteps; step++)
        {
            using var inner = NewDisposeScope();
            var gradient = context.WithWeights(w + z, context.Hessian.Gradient);
            var next = (z + gradient.sign() * bound * (2.5 / s.KeskarSteps)).clamp(-bound, bound);
            z.copy_(next);
            best = Math.Max(best, context.WithWeights(w + z, context.Hessian.Loss));
        }
        context.Ledger.Charge(new MetricCost(ForwardPasses: s.KeskarSteps, Gradients: s.KeskarSteps));
        double phi = 100 * (best - loss) / (1 + loss);
        return Result(context, phi, double.NaN, [("epsilon", s.KeskarEpsilon), ("steps", s.KeskarSteps), ("A", "identity"), ("ascent", "projected sign gradient"), ("error", "none: a deterministic ascent from z = 0")],
            [("loss", loss), ("max_loss", best)]);
    }
}
