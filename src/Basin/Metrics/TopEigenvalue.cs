using Basin.Estimators;
using Basin.Operators;

namespace Basin.Metrics;

/// <summary>
/// <c>hessian.top_eigenvalue</c> and <c>ggn.top_eigenvalue</c>: λ₁, the largest algebraic eigenvalue
/// ("spectral norm" of seed 002), by Lanczos with full re-orthogonalisation (float64 scalars). Its error is
/// the Ritz residual ‖Hv − θv‖, which bounds the distance from θ to an eigenvalue of H; the residual and
/// whether it converged are also terms.
/// </summary>
public sealed class TopEigenvalue(bool ggn) : Metric(ggn ? GgnId : HessianId,
    ggn ? "largest eigenvalue of the generalized Gauss-Newton matrix" : "largest eigenvalue of the Hessian",
    "seed 002 §3 (Lanczos); Ghorbani et al. 2019", CostClass.Moderate)
{
    /// <summary>The Hessian's id, <c>hessian.top_eigenvalue</c>.</summary>
    public const string HessianId = "hessian.top_eigenvalue";

    /// <summary>The GGN's id, <c>ggn.top_eigenvalue</c>.</summary>
    public const string GgnId = "ggn.top_eigenvalue";

    /// <summary>The Lanczos run on the Hessian.</summary>
    public static MetricInput HessianLanczos { get; } = MetricInput.LanczosRuns("Hessian Lanczos", s => s.LanczosSteps, s => s.LanczosSteps) with { ServedBy = (SpectralDensity.Slq, FromSlq) };

    /// <summary>The Lanczos run on the GGN.</summary>
    public static MetricInput GgnLanczos { get; } = MetricInput.LanczosRuns("GGN Lanczos", s => s.LanczosSteps, s => s.LanczosSteps) with { Operator = ProductKind.Ggn, ServedBy = (LogDeterminant.Slq, FromSlq) };

    /// <summary>
    /// Whether λ₁ comes from the first start of the same matrix's SLQ run when that run is made anyway: the same algorithm from a
    /// random start, carried at least as far (without a precision target, whose SLQ stops on another function).
    /// </summary>
    private static bool FromSlq(MeasureSettings s) => s.SlqSteps >= s.LanczosSteps && s.RelativeTolerance == 0;

    /// <inheritdoc />
    /// <remarks>Under <see cref="MeasureSettings.SlqDeflate"/>, the deflation's Lanczos run, which gives λ₁ to the working precision.</remarks>
    public override IReadOnlyList<MetricInput> Inputs(MeasureSettings settings) =>
        settings.SlqDeflate > 0 ? [ggn ? DeflationInput.Ggn : DeflationInput.Hessian] : [ggn ? GgnLanczos : HessianLanczos];

    /// <inheritdoc />
    public override MetricResult Compute(MetricContext context)
    {
        var s = context.Settings;
        var input = ggn ? GgnLanczos : HessianLanczos;
        if (s.SlqDeflate > 0 && context.Get(ggn ? DeflationInput.Ggn : DeflationInput.Hessian) is { } deflation)
            return Shared(context, deflation.Run, s.SeedFor(SeedStream.TopEigenvalue), "the deflation's Lanczos run");
        // The SLQ run charges its products to whichever metric asks for it first.
        if (context.Served(input))
            return Shared(context, context.Get(ggn ? LogDeterminant.Slq : SpectralDensity.Slq).Runs[0], s.SeedFor(ggn ? SeedStream.GgnSpectrum : SeedStream.HessianSpectrum), "the first start of the SLQ run");
        ILinearOperator op = ggn ? context.Ggn : context.Hessian;
        long before = op.Products;
        var top = s.RelativeTolerance > 0
            ? Lanczos.TopEigenvalues(op, 1, s.Rule(s.LanczosSteps, MeasureSettings.Minimums.LanczosSteps), s.SeedFor(SeedStream.TopEigenvalue))
            : Lanczos.TopEigenvalues(op, 1, s.LanczosSteps, tolerance: 1e-3, seed: s.SeedFor(SeedStream.TopEigenvalue));
        context.Ledger.Charge(new MetricCost(CurvatureProducts: op.Products - before));
        var settings = new List<(string, object)> { ("estimator", "lanczos"), ("steps", s.RelativeTolerance > 0 ? top.Settings["steps"] : s.LanczosSteps), ("seed", s.SeedFor(SeedStream.TopEigenvalue)), ("error", "Ritz residual bound") };
        if (s.RelativeTolerance > 0) settings.Add(("stopped", top.Settings["stopped"]));
        return Result(context, top.Values[0], top.Residuals[0], settings,
            [("residual", top.Residuals[0]), ("converged", top.Converged[0] ? 1 : 0)]);
    }

    /// <summary>λ₁ from a Lanczos run another input made (<paramref name="from"/> says which).</summary>
    private MetricResult Shared(MetricContext context, LanczosRun run, int seed, string from)
    {
        var shared = Lanczos.TopEigenvalues(run, 1, tolerance: 1e-3, seed: seed);
        return Result(context, shared.Values[0], shared.Residuals[0], [("estimator", "lanczos"), ("steps", run.Steps), ("seed", seed), ("from", from), ("error", "Ritz residual bound")],
            [("residual", shared.Residuals[0]), ("converged", shared.Converged[0] ? 1 : 0)]);
    }
}
