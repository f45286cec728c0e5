using static TorchSharp.torch;

namespace Basin.Metrics;

/// <summary>
/// <c>sharpness.keskar</c>: φ(ε, A) = 100 · (max_{z∈C_ε} L(w + Az) − L(w)) / (1 + L(w)) with
/// C_ε = {z : |z_i| ≤ ε(|(A⁺w)_i| + 1)} (Keskar et al. 2017; seed 002 eq. 2, seed 003 def. 2), A = I.
/// The inner maximum by projected sign-gradient ascent from z = 0 (step 2.5·bound/steps, as in PGD),
/// keeping the largest loss seen; default 20 steps, ε = 1e-3, from <see cref="MeasureSettings.KeskarRestarts"/> starts (3: z = 0
/// and two uniform in the box); the value is the largest over the starts, the error the standard error of their maxima.
/// </summary>
public sealed class KeskarSharpness() : Metric(MetricId, "worst-case loss increase in an ε-box around w (Keskar sharpness)", "seed 002 eq. 2, seed 003 def. 2; Keskar et al. 2017", CostClass.Moderate)
{
    /// <summary>Its id, <c>sharpness.keskar</c>.</summary>
    public const string MetricId = "sharpness.keskar";

    /// <summary>Its ascent: per start, a gradient at each step (whose forward pass gives the loss there) and the loss at the last point.</summary>
    public static MetricInput Ascent { get; } = new("Keskar ascent", (s, _, _) => new MetricCost(ForwardPasses: s.KeskarStartCount, Gradients: (long)s.KeskarStartCount * s.KeskarSteps));

    /// <inheritdoc />
    public override IReadOnlyList<MetricInput> Inputs(MeasureSettings settings) => [Ascent];

    /// <inheritdoc />
    public override MetricResult Compute(MetricContext context)
    {
        var s = context.Settings;
        double loss = context.Loss;
        using var scope = NewDisposeScope();
        var w = context.Weights;
        var bound = (w.abs() + 1) * s.KeskarEpsilon;
        using var generator = new Generator((ulong)s.SeedFor(SeedStream.KeskarStarts));
        var phis = new double[s.KeskarStartCount];
        double best = loss;
        for (int start = 0; start < phis.Length; start++)
        {
            // The first start is z = 0 (as seed 002/003); the others uniform in the box, their loss counted too.
            var z = start == 0 ? zeros_like(w) : (rand(w.shape, w.dtype, generator: generator).to(w.device) * 2 - 1) * bound;
            // Each step's gradient pass gives the loss at the point it starts from; one more pass gives the last point's.
            double found = start == 0 ? loss : double.NegativeInfinity;
            for (int step = 0; step < s.KeskarSteps; step++)
            {
                using var inner = NewDisposeScope();
                var (here, gradient) = context.WithWeights(w + z, context.Hessian.LossAndGradient);
                found = Math.Max(found, here);
                var next = (z + gradient.sign() * bound * (2.5 / s.KeskarSteps)).clamp(-bound, bound);
                z.copy_(next);
            }
            found = Math.Max(found, context.WithWeights(w + z, context.Hessian.Loss));
            phis[start] = 100 * (found - loss) / (1 + loss);
            best = Math.Max(best, found);
        }
        context.Ledger.Charge(new MetricCost(ForwardPasses: phis.Length, Gradients: phis.Length * (long)s.KeskarSteps));
        double phi = 100 * (best - loss) / (1 + loss);
        var (_, spread) = Estimators.RunningStatistics.MeanAndError(phis);
        return Result(context, phi, spread, [("epsilon", s.KeskarEpsilon), ("steps", s.KeskarSteps), ("starts", phis.Length), ("A", "identity"), ("ascent", "projected sign gradient"),
                ("error", phis.Length > 1 ? "standard error of the starts' maxima: how much the ascent's answer depends on where it starts" : "none: one deterministic ascent from z = 0")],
            [("loss", loss), ("max_loss", best), ("phi_first_start", phis[0])]);
    }
}
