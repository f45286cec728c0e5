using static TorchSharp.torch;

namespace Basin.Metrics;

/// <summary>
/// <c>pacgen</c>, Ψ of seed 003 eq. 24 (Wang, Keskar, Xiong, Socher):
/// <c>Ψ_{γ,ε}(w) = Σ_i ln((|w_i| + κ_i) · max(√max(0, h_i + ρ√m κ_i), 1/κ_i))</c>, κ_i = γ|w_i| + ε, m = P,
/// h a non-negative curvature diagonal (<see cref="MeasureSettings.PacGenDiagonal"/>: the exact GGN diagonal by default), ρ the local Hessian-Lipschitz constant estimated as
/// <c>max_i |h_i(w+u) − h_i(w)| / |u_i|</c> for one perturbation u with u_i ∼ U(−κ_i, κ_i) (the diagonal at w+u
/// is estimated with the same probes as at w, so their noise partly cancels).
/// </summary>
public sealed class PacGen() : Metric("pacgen", "seed 003 Ψ: Σ ln((|w|+κ)·max(√(h+ρ√m κ), 1/κ))", "seed 003 eq. 24", CostClass.Moderate)
{
    /// <inheritdoc />
    public override MetricResult Compute(MetricContext context)
    {
        var s = context.Settings;
        var h = context.CurvatureDiagonal.Values;
        double rho = context.PacGenRho;
        using var scope = NewDisposeScope();
        var w = context.Weights.to(ScalarType.Float64).abs();
        var kappa = w * s.PacGenGamma + s.PacGenEpsilon;
        double sqrtM = Math.Sqrt(context.P);
        var curvature = (h.to(ScalarType.Float64) + kappa * (rho * sqrtM)).clamp_min(0).sqrt();
        var psi = ((w + kappa) * maximum(curvature, kappa.reciprocal())).log().sum().item<double>();
        return Result(context, psi, double.NaN, [("gamma", s.PacGenGamma), ("epsilon", s.PacGenEpsilon), ("diagonal", s.PacGenDiagonal.Name()), ("seed", s.SeedFor(SeedStream.PacGenPerturbation)),
                ("error", "not estimated: a function of the curvature diagonal (exact for ggn; see hessian.diagonal for the stochastic ones) and of one perturbation for ρ")],
            [("rho", rho), ("negative_h", h.lt(0).sum().item<long>()), ("clipped_fraction", h.lt(0).to(ScalarType.Float64).mean().item<double>())]);
    }

    /// <summary>ρ (computed once per context, see <see cref="MetricContext.PacGenRho"/>).</summary>
    internal static double Rho(MetricContext context)
    {
        var s = context.Settings;
        using var scope = NewDisposeScope();
        var w = context.Weights;
        var kappa = w.abs() * s.PacGenGamma + s.PacGenEpsilon;
        using var generator = new Generator((ulong)(s.SeedFor(SeedStream.PacGenPerturbation)));
        var u = (rand(w.shape, w.dtype, generator: generator).to(w.device) * 2 - 1) * kappa;
        var h0 = context.CurvatureDiagonal.Values;
        var h1 = context.WithWeights(w + u, () => PerturbedDiagonal(context));
        return ((h1 - h0).abs() / u.abs().clamp_min(1e-30)).max().to(ScalarType.Float64).item<double>();
    }

    private static Tensor PerturbedDiagonal(MetricContext context)
    {
        using var d = DiagonalInputs.Of(context, context.Hessian, context.Settings.PacGenDiagonal);
        return d.Values.clone();
    }
}
