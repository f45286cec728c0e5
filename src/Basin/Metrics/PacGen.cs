using static TorchSharp.torch;

namespace Basin.Metrics;

/// <summary>
/// <c>pacgen</c>, Ψ of seed 003 eq. 24 (Wang, Keskar, Xiong, Socher):
/// <c>Ψ_{γ,ε}(w) = Σ_i ln((|w_i| + κ_i) · max(√max(0, h_i + ρ√m κ_i), 1/κ_i))</c>, κ_i = γ|w_i| + ε, m = P,
/// h a non-negative curvature diagonal (<see cref="MeasureSettings.PacGenDiagonal"/>: the exact GGN diagonal by default), ρ the local Hessian-Lipschitz constant estimated as
/// <c>max_i |h_i(w+u) − h_i(w)| / |u_i|</c> for a perturbation u with u_i ∼ U(−κ_i, κ_i) (the diagonal at w+u
/// is estimated with the same probes as at w, so their noise partly cancels). Ψ is averaged over
/// <see cref="MeasureSettings.PacGenPerturbations"/> perturbations (3), whose spread gives its standard error.
/// </summary>
public sealed class PacGen() : Metric(MetricId, "seed 003 Ψ: Σ ln((|w|+κ)·max(√(h+ρ√m κ), 1/κ))", "seed 003 eq. 24", CostClass.Moderate)
{
    /// <summary>Its id, <c>pacgen</c>.</summary>
    public const string MetricId = "pacgen";

    /// <summary>The Hessian diagonal by its own Hutchinson probes at w, when pacGen's estimator differs from the shared one.</summary>
    public static MetricInput DiagonalAtWeights { get; } = MetricInput.Products("pacGen diagonal at w", s => s.TraceProbes);

    /// <summary>The exact GGN diagonal at w: one per-sample gradient per sample and output factor.</summary>
    public static MetricInput GgnDiagonalAtWeights { get; } = new("pacGen GGN diagonal at w", (_, samples, factors) => new MetricCost(PerSampleGradients: samples * factors));

    /// <summary>
    /// ρ, one per perturbation u: the curvature diagonal again at each w + u, by Hutchinson probes or by the exact GGN diagonal's
    /// per-sample gradients (the other estimators' passes are not counted).
    /// </summary>
    public static SharedInput<double[]> RhoInput { get; } = new("pacGen ρ", (s, samples, factors) => s.PacGenDiagonal switch
    {
        DiagonalEstimator.Hutchinson => new MetricCost(CurvatureProducts: (long)s.PacGenPerturbationCount * s.TraceProbes),
        DiagonalEstimator.Ggn => new MetricCost(PerSampleGradients: s.PacGenPerturbationCount * samples * factors),
        _ => new MetricCost(),
    }, Rho);

    /// <summary>What the curvature diagonal h and ρ read (pacGen and Wang et al.'s bounds share them) under <paramref name="settings"/>.</summary>
    public static IReadOnlyList<MetricInput> CurvatureInputs(MeasureSettings settings) => settings.PacGenDiagonal switch
    {
        DiagonalEstimator.Hutchinson => [.. settings.Diagonal == DiagonalEstimator.Hutchinson ? DeflationInput.With(settings, ProbeSummary.HessianInput) : [DiagonalAtWeights], RhoInput],
        DiagonalEstimator.Ggn => [GgnDiagonalAtWeights, RhoInput],
        _ => [RhoInput],
    };

    /// <inheritdoc />
    public override IReadOnlyList<MetricInput> Inputs(MeasureSettings settings) => CurvatureInputs(settings);

    /// <inheritdoc />
    public override MetricResult Compute(MetricContext context)
    {
        var s = context.Settings;
        var h = context.CurvatureDiagonal.Values;
        var rhos = context.Get(RhoInput);
        using var scope = NewDisposeScope();
        var w = context.Weights.to(ScalarType.Float64).abs();
        var kappa = w * s.PacGenGamma + s.PacGenEpsilon;
        double sqrtM = Math.Sqrt(context.P);
        var h64 = h.to(ScalarType.Float64);
        var psi = rhos.Select(rho => ((w + kappa) * maximum((h64 + kappa * (rho * sqrtM)).clamp_min(0).sqrt(), kappa.reciprocal())).log().sum().item<double>()).ToArray();
        var (mean, se) = Estimators.RunningStatistics.MeanAndError(psi);
        return Result(context, mean, se, [("gamma", s.PacGenGamma), ("epsilon", s.PacGenEpsilon), ("diagonal", s.PacGenDiagonal.Name()), ("seed", s.SeedFor(SeedStream.PacGenPerturbation)),
                ("perturbations", rhos.Length), ("error", ErrorNote(rhos.Length))],
            [("rho", rhos.Average()), ("rho_min", rhos.Min()), ("rho_max", rhos.Max()), ("negative_h", h.lt(0).sum().item<long>()), ("clipped_fraction", h.lt(0).to(ScalarType.Float64).mean().item<double>())]);
    }

    /// <summary>What the standard error of pacgen and seed 003's bounds is.</summary>
    internal static string ErrorNote(int perturbations) => perturbations > 1
        ? $"over the {perturbations} perturbations u of ρ (the curvature diagonal held: exact for ggn; see hessian.diagonal for the stochastic ones)"
        : "not estimated: one perturbation for ρ";

    /// <summary>ρ for each perturbation (computed once per context: <see cref="RhoInput"/>); the first uses the seed alone, as before replicates.</summary>
    internal static double[] Rho(MetricContext context)
    {
        var s = context.Settings;
        return Enumerable.Range(0, s.PacGenPerturbationCount).Select(r =>
        {
            using var scope = NewDisposeScope();
            var w = context.Weights;
            var kappa = w.abs() * s.PacGenGamma + s.PacGenEpsilon;
            using var generator = new Generator((ulong)(s.SeedFor(SeedStream.PacGenPerturbation) + 7919L * r));
            var u = (rand(w.shape, w.dtype, generator: generator).to(w.device) * 2 - 1) * kappa;
            var h0 = context.CurvatureDiagonal.Values;
            var h1 = context.WithWeights(w + u, () => PerturbedDiagonal(context));
            return ((h1 - h0).abs() / u.abs().clamp_min(1e-30)).max().to(ScalarType.Float64).item<double>();
        }).ToArray();
    }

    private static Tensor PerturbedDiagonal(MetricContext context)
    {
        using var d = DiagonalInputs.Of(context, context.Hessian, context.Settings.PacGenDiagonal);
        return d.Values.clone();
    }
}
