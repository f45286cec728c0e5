using Basin.Estimators;
using Basin.Operators;

namespace Basin.Metrics;

/// <summary>
/// <c>fisher.spectral_radius</c>: ρ(F_emp) of the measured set (seed 001 baseline; spec revision of 2026-11-25).
/// By default Lanczos on the empirical-Fisher operator over all measured samples (true labels), as
/// <c>hessian.top_eigenvalue</c>, its error the Ritz residual bound |λ − θ| ≤ ‖Fv − θv‖. The subset form
/// (1/T) Σ_t ‖J_t‖₂²/N′ is biased upward (18.5 vs 14.7 measured); it is an option
/// (<see cref="FisherNormForm.Subsets"/>) and always a term.
/// </summary>
public sealed class FisherSpectralRadius() : Metric(MetricId, "largest eigenvalue of the empirical Fisher of the measured set", "seed 001 §7 baselines, Appendix D", CostClass.Expensive)
{
    /// <summary>Its id, <c>fisher.spectral_radius</c>.</summary>
    public const string MetricId = "fisher.spectral_radius";

    /// <summary>Its Lanczos run on the empirical Fisher of the measured set.</summary>
    public static MetricInput LanczosInput { get; } = MetricInput.LanczosRuns("Fisher Lanczos", s => s.LanczosSteps, s => s.LanczosSteps) with { Operator = ProductKind.Fisher };

    /// <inheritdoc />
    public override IReadOnlyList<MetricInput> Inputs(MeasureSettings settings) => settings.FisherNorms == FisherNormForm.Unbiased ? [FisherSubsets.Input, LanczosInput] : [FisherSubsets.Input];

    /// <inheritdoc />
    public override MetricResult Compute(MetricContext context)
    {
        var s = context.Settings;
        var f = context.Get(FisherSubsets.Input);
        var (subset, subsetError) = RunningStatistics.MeanAndError(f.SpectralNormsSquared.Select(x => x / f.SubsetSize));
        if (s.FisherNorms == FisherNormForm.Subsets)
            return Result(context, subset, subsetError, [("form", "subsets"), ("subset_size", f.SubsetSize), ("subsets", f.SpectralNormsSquared.Length)], [("subset_form", subset)]);
        using var op = new EmpiricalFisherOperator(context.Model, context.Data);
        int seed = s.SeedFor(SeedStream.FisherSpectralRadius);
        var top = context.Ledger.Counted(op, () => s.RelativeTolerance > 0
            ? Lanczos.TopEigenvalues(op, 1, s.Rule(s.LanczosSteps, MeasureSettings.Minimums.LanczosSteps), seed)
            : Lanczos.TopEigenvalues(op, 1, s.LanczosSteps, tolerance: 1e-3, seed: seed));
        return Result(context, top.Values[0], top.Residuals[0],
            [("form", "lanczos"), ("estimator", "lanczos"), ("steps", s.LanczosSteps), ("seed", seed), ("samples", context.N), ("error", "Ritz residual bound")],
            [("residual", top.Residuals[0]), ("converged", top.Converged[0] ? 1 : 0), ("subset_form", subset)]);
    }
}
