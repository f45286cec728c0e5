using Basin.Metrics;
using static TorchSharp.torch;

namespace Basin.Bounds;

/// <summary>The per-parameter quantities seed 003's bounds share, in float64.</summary>
internal static class WangTerms
{
    /// <summary>|w|, κ = γ|w| + ε, the clipped diagonal h, ρ, the 0-1 training error, m and n.</summary>
    public static (double[] W, double[] Kappa, double[] H, double Rho, double Error, double M, double N, long Negative) Read(MetricContext context)
    {
        var s = context.Settings;
        using var scope = NewDisposeScope();
        var w = context.Weights.to(ScalarType.Float64).abs().data<double>().ToArray();
        var h = context.HessianDiagonal.Values.to(ScalarType.Float64).data<double>().ToArray();
        var kappa = w.Select(x => s.PacGenGamma * x + s.PacGenEpsilon).ToArray();
        return (w, kappa, h, PacGen.Rho(context), ZeroOneError(context), context.P, context.N, h.LongCount(x => x < 0));
    }

    /// <summary>The 0-1 training error on the measured samples: the loss in [0, 1] the bounds need.</summary>
    public static double ZeroOneError(MetricContext context) => context.Get("zero-one-error", () =>
    {
        context.Charge(new MetricCost(ForwardPasses: 1));
        return Training.TrainingRun.Evaluate(context.Model, context.Samples, context.Settings.BatchSize).Error;
    });
}

/// <summary>
/// <c>bound.wang_uniform</c>: seed 003 Theorem 7 (uniform posterior u_i ∼ U(−σ_i, σ_i), prior U(−τ_i, τ_i),
/// τ_i = |w_i| + κ_i, η optimised over a grid), with the 0-1 training error as the loss in [0, 1]:
/// <c>L̂ + ½√(m/n) + (1 + 1/e) √((S + ln(1/δ) + (ln 2/2)(2 + ln(S/ln(1/δ) + 1))) / (2n))</c>,
/// <c>S = Σ ln(τ_i/σ_i*)</c>, <c>σ_i* = min(1/√(η(h_i/3 + ρ√m κ_i/9)), κ_i)</c> with η = √(mn) (σ_i* = κ_i where the
/// bracket is not positive). Lemma 6 at the same η is reported as a term.
/// </summary>
public sealed class WangUniformBound() : Metric("bound.wang_uniform", "seed 003 Theorem 7 PAC-Bayes bound, uniform perturbations", "seed 003 Lemma 6, Theorem 7", CostClass.Moderate)
{
    /// <inheritdoc />
    public override MetricResult Compute(MetricContext context)
    {
        var (w, kappa, h, rho, error, m, n, negative) = WangTerms.Read(context);
        double delta = context.Settings.BoundDelta, eta = Math.Sqrt(m * n), logInvDelta = Math.Log(1 / delta);
        double s = 0;
        for (int i = 0; i < w.Length; i++)
        {
            double bracket = eta * (h[i] / 3 + rho * Math.Sqrt(m) * kappa[i] / 9);
            double sigma = bracket > 0 ? Math.Min(1 / Math.Sqrt(bracket), kappa[i]) : kappa[i];
            s += Math.Log((w[i] + kappa[i]) / sigma);
        }
        double complexity = 0.5 * Math.Sqrt(m / n)
            + (1 + 1 / Math.E) * Math.Sqrt((s + logInvDelta + Math.Log(2) / 2 * (2 + Math.Log(s / logInvDelta + 1))) / (2 * n));
        double lemma6 = error + (m / 2 + s + logInvDelta) / eta + eta / (2 * n);
        return Result(context, error + complexity, double.NaN, [("loss", "0-1 training error"), ("delta", delta), ("eta", eta), ("diagonal", context.Settings.Diagonal)],
            [("empirical", error), ("complexity", complexity), ("S", s), ("lemma6", lemma6), ("rho", rho), ("negative_h", negative)]);
    }
}

/// <summary>
/// <c>bound.wang_gaussian</c>: seed 003 Lemma 8 (truncated Gaussian posterior, prior N(0, τI) with Σ w_i² ≤ τ,
/// here τ = ‖w‖²), with the 0-1 training error and η = √(mn):
/// <c>L̂ + (m ln τ − Σ ln σ_i*² + 1 + 2 ln(1/δ)) / (2η) + η/(2n)</c>,
/// <c>σ_i* = min(1/√(η h_i + ρη√m κ_i/3 + 1/τ), κ_i / (√2 erf⁻¹(1/(2m))))</c>.
/// </summary>
public sealed class WangGaussianBound() : Metric("bound.wang_gaussian", "seed 003 Lemma 8 PAC-Bayes bound, truncated Gaussian perturbations", "seed 003 Lemma 8", CostClass.Moderate)
{
    /// <inheritdoc />
    public override MetricResult Compute(MetricContext context)
    {
        var (w, kappa, h, rho, error, m, n, negative) = WangTerms.Read(context);
        double delta = context.Settings.BoundDelta, eta = Math.Sqrt(m * n);
        double tau = context.WeightNormSquared;
        double truncation = Math.Sqrt(2) * SpecialFunctions.InverseErf(1 / (2 * m));
        double sumLog = 0;
        for (int i = 0; i < w.Length; i++)
        {
            double bracket = eta * h[i] + rho * eta * Math.Sqrt(m) * kappa[i] / 3 + 1 / tau;
            double cap = kappa[i] / truncation;
            double sigma = bracket > 0 ? Math.Min(1 / Math.Sqrt(bracket), cap) : cap;
            sumLog += Math.Log(sigma * sigma);
        }
        double complexity = (m * Math.Log(tau) - sumLog + 1 + 2 * Math.Log(1 / delta)) / (2 * eta) + eta / (2 * n);
        return Result(context, error + complexity, double.NaN, [("loss", "0-1 training error"), ("delta", delta), ("eta", eta), ("tau", tau), ("diagonal", context.Settings.Diagonal)],
            [("empirical", error), ("complexity", complexity), ("rho", rho), ("negative_h", negative)]);
    }
}
