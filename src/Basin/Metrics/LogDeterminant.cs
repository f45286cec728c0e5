using Basin.Estimators;

namespace Basin.Metrics;

/// <summary>
/// <c>hessian.logdet</c> (seed 000 eq. 6 and 9; spec revision of 2026-11-25): <c>log|I + H̃/δ| = log|H̃ + δI| − P ln δ</c>,
/// the part of the damped log-determinant that depends on the network — the plain log|G + δI| is ≈ P ln δ
/// and hides it. H̃ = G: the spec's id says "hessian", but the matrix is the GGN, the positive
/// semi-definite stand-in for H that the Laplace posterior needs (a trained network's Hessian has negative
/// eigenvalues); δ = 1e-4 by default. Stochastic Lanczos quadrature with f(t) = log(1 + t/δ); the error
/// combines the spread over starts and the quadrature's truncation (term <c>truncation</c>: the mean half-width of each start's
/// Gauss–Radau bracket, a bound, since G is positive semi-definite). The offset
/// P ln δ and the full log|G + δI| are terms.
/// </summary>
public sealed class LogDeterminant() : Metric(MetricId, "log det(I + G/δ) by SLQ (the network's part of log|G + δI|)", "seed 000 eq. 6, 9", CostClass.Expensive)
{
    /// <summary>Its id, <c>hessian.logdet</c>.</summary>
    public const string MetricId = "hessian.logdet";

    /// <summary>The SLQ run on the GGN it is read from (shared with <c>pacbayes.laplace.full</c>).</summary>
    public static SharedInput<StochasticLanczosQuadrature> Slq { get; } = new SharedInput<StochasticLanczosQuadrature>("GGN SLQ", (s, _, _) => new MetricCost(CurvatureProducts: (long)s.SlqSteps * s.SlqStarts), Run)
        .Holding(Holding) with { Operator = ProductKind.Ggn };

    /// <summary>What its run holds at its peak: <see cref="SpectralDensity.Holding"/>, with a basis for every start that runs in lock-step (<see cref="Lanczos.Together(int, int, long, int)"/>).</summary>
    private static long Holding(MeasureSettings s, ModelShape shape) => SpectralDensity.Holding(s, shape)
        + (Lanczos.Together(s.SlqStarts, s.SlqSteps, shape.Parameters, shape.ValueBytes) - 1) * Lanczos.BasisBytes(s.SlqSteps, shape.Parameters, shape.ValueBytes);

    /// <inheritdoc />
    public override IReadOnlyList<MetricInput> Inputs(MeasureSettings settings) => DeflationInput.With(settings, Slq);

    /// <inheritdoc />
    public override MetricResult Compute(MetricContext context)
    {
        var estimate = context.Get(Slq).RelativeLogDeterminant(context.Settings.Damping);
        double offset = context.P * Math.Log(context.Settings.Damping);
        return Result(context, estimate.Value, estimate.StandardError, estimate.Settings.Select(s => (s.Key, (object)s.Value)),
            [("offset_P_ln_delta", offset), ("logdet_damped", estimate.Value + offset), ("truncation", estimate.Truncation)]);
    }

    /// <summary>
    /// The SLQ run on the context's GGN (computed once per context: <see cref="Slq"/>), stopping on log(1 + t/δ) under a precision target.
    /// The GGN is positive semi-definite, so 0 is a lower end of its spectrum and each start's log-determinant is bracketed between its
    /// Gauss–Radau and Gauss rules (<see cref="GaussRadau"/>).
    /// </summary>
    internal static StochasticLanczosQuadrature Run(MetricContext context)
    {
        var s = context.Settings;
        var deflation = context.Get(DeflationInput.Ggn);
        var op = context.Ggn;
        // The starts run in lock-step where the GGN shares a pass over its factored Jacobians among them and their bases fit.
        int together = Lanczos.Together(op, s.SlqStarts, s.SlqSteps);
        return context.Ledger.Counted(op, () => StochasticLanczosQuadrature.Run(op, s.Rule(s.SlqSteps, MeasureSettings.Minimums.SlqSteps),
            s.Rule(s.SlqStarts, MeasureSettings.Minimums.SlqStarts), s.SeedFor(SeedStream.GgnSpectrum), t => Math.Log(1 + t / s.Damping), lowerEnd: 0, deflation: deflation, together: together));
    }
}
