using Basin.Estimators;

namespace Basin.Metrics;

/// <summary>
/// <c>hessian.spectral_density</c>: the eigenvalue density of H by stochastic Lanczos quadrature (seed 000
/// m = 100 steps, n_v starts, full re-orthogonalisation). A density is not a scalar: the value reported is
/// the largest Ritz value (the right edge of the density); the terms give the SLQ estimate of Tr H and the
/// spectral mass on negative eigenvalues. The density itself is what <c>basin spectrum</c> plots.
/// </summary>
public sealed class SpectralDensity() : Metric(MetricId, "Hessian eigenvalue density by SLQ (value: its right edge)", "seed 000 §4, seed 002 §3; Ghorbani et al. 2019", CostClass.Expensive)
{
    /// <summary>Its id, <c>hessian.spectral_density</c>.</summary>
    public const string MetricId = "hessian.spectral_density";

    /// <summary>Its SLQ run on the Hessian.</summary>
    public static SharedInput<StochasticLanczosQuadrature> Slq { get; } = new SharedInput<StochasticLanczosQuadrature>("Hessian SLQ", (s, _, _) => new MetricCost(CurvatureProducts: (long)s.SlqSteps * s.SlqStarts), Run)
        .Holding(Holding);

    /// <summary>What an SLQ run holds at its peak: a start's Lanczos basis, and with deflation the deflated vectors (float64) beside it.</summary>
    internal static long Holding(MeasureSettings s, ModelShape shape) =>
        Lanczos.BasisBytes(s.SlqSteps, shape.Parameters, shape.ValueBytes) + s.SlqDeflate * shape.Parameters * 8L;

    /// <inheritdoc />
    public override IReadOnlyList<MetricInput> Inputs(MeasureSettings settings) => DeflationInput.With(settings, Slq);

    /// <inheritdoc />
    /// <remarks>its value is the density's right edge, the top Ritz value.</remarks>
    public override string? DerivedFrom => TopEigenvalue.HessianId;

    /// <inheritdoc />
    public override MetricResult Compute(MetricContext context)
    {
        var slq = context.Get(Slq);
        var nodes = slq.Nodes().ToList();
        double negative = nodes.Where(n => n.Node < 0).Sum(n => n.Weight);
        var trace = slq.Trace(t => t, "t");
        // Its error: the spread over starts of each start's largest Ritz value (NaN with one start).
        var (edge, error, how) = slq.RightEdge();
        List<(string, object)> settings = [("estimator", "slq"), ("steps", slq.Steps), ("starts", slq.Rules.Count), ("seed", slq.Seed), ("error", how)];
        if (slq.DeflationRun is { } top) settings.Add(("deflated", $"{slq.DeflatedValues.Count} pairs from {top.Steps} steps"));
        return Result(context, edge, error, settings,
            [("trace_slq", trace.Value), ("negative_mass", negative), ("min_node", nodes.Min(n => n.Node))]);
    }

    /// <summary>The SLQ run on the context's Hessian (computed once per context: <see cref="Slq"/>).</summary>
    internal static StochasticLanczosQuadrature Run(MetricContext context)
    {
        var s = context.Settings;
        // Under a precision target the starts and steps stop on log(1 + |t|/δ): it weighs the bulk and the outliers alike (a negative node too).
        var deflation = context.Get(DeflationInput.Hessian);
        return context.Ledger.Counted(context.Hessian, () => StochasticLanczosQuadrature.Run(context.Hessian, s.Rule(s.SlqSteps, MeasureSettings.Minimums.SlqSteps),
            s.Rule(s.SlqStarts, MeasureSettings.Minimums.SlqStarts), s.SeedFor(SeedStream.HessianSpectrum), t => Math.Log(1 + Math.Abs(t) / s.Damping), deflation: deflation));
    }
}
