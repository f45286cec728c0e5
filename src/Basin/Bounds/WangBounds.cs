namespace Basin.Bounds;

/// <summary>The per-parameter quantities seed 003's bounds share, in float64.</summary>
/// <param name="W">|w_i|.</param>
/// <param name="Kappa">κ_i = γ|w_i| + ε.</param>
/// <param name="H">The curvature diagonal h_i (negative entries allowed; counted).</param>
/// <param name="Rho">The local Hessian-Lipschitz constant ρ.</param>
/// <param name="Error">The empirical loss in [0, 1] (Basin passes the 0-1 training error).</param>
/// <param name="N">n, the number of samples.</param>
public sealed record WangInputs(double[] W, double[] Kappa, double[] H, double Rho, double Error, double N)
{
    /// <summary>m, the number of parameters.</summary>
    public double M => W.Length;

    /// <summary>How many h_i are negative (the local-convexity assumption h ≥ 0 fails there).</summary>
    public long Negative => H.LongCount(x => x < 0);
}

/// <summary>The PAC-Bayes bounds of seed 003 (Wang, Keskar, Xiong, Socher), with η = √(mn).</summary>
public static class WangBounds
{
    /// <summary>
    /// Theorem 7 (uniform posterior u_i ∼ U(−σ_i, σ_i), prior U(−τ_i, τ_i), τ_i = |w_i| + κ_i, η optimised over a grid):
    /// <c>L̂ + ½√(m/n) + (1 + 1/e) √((S + ln(1/δ) + (ln 2/2)(2 + ln(S/ln(1/δ) + 1))) / (2n))</c>,
    /// <c>S = Σ ln(τ_i/σ_i*)</c>, <c>σ_i* = min(1/√(η(h_i/3 + ρ√m κ_i/9)), κ_i)</c> (σ_i* = κ_i where the bracket is
    /// not positive). Lemma 6 at the same η is a term.
    /// </summary>
    public static BoundValue Uniform(WangInputs x, double delta)
    {
        double m = x.M, n = x.N, eta = Math.Sqrt(m * n), logInvDelta = Math.Log(1 / delta);
        double s = 0;
        for (int i = 0; i < x.W.Length; i++)
        {
            double bracket = eta * (x.H[i] / 3 + x.Rho * Math.Sqrt(m) * x.Kappa[i] / 9);
            double sigma = bracket > 0 ? Math.Min(1 / Math.Sqrt(bracket), x.Kappa[i]) : x.Kappa[i];
            s += Math.Log((x.W[i] + x.Kappa[i]) / sigma);
        }
        double complexity = 0.5 * Math.Sqrt(m / n)
            + (1 + 1 / Math.E) * Math.Sqrt((s + logInvDelta + Math.Log(2) / 2 * (2 + Math.Log(s / logInvDelta + 1))) / (2 * n));
        double lemma6 = x.Error + (m / 2 + s + logInvDelta) / eta + eta / (2 * n);
        return new BoundValue(x.Error + complexity, [("empirical", x.Error), ("complexity", complexity), ("S", s), ("lemma6", lemma6), ("rho", x.Rho), ("negative_h", x.Negative)]);
    }

    /// <summary>
    /// Lemma 8 (truncated Gaussian posterior, prior N(0, τI) with Σ w_i² ≤ τ):
    /// <c>L̂ + (m ln τ − Σ ln σ_i*² + 1 + 2 ln(1/δ)) / (2η) + η/(2n)</c>,
    /// <c>σ_i* = min(1/√(η h_i + ρη√m κ_i/3 + 1/τ), κ_i / (√2 erf⁻¹(1/(2m))))</c>.
    /// </summary>
    public static BoundValue Gaussian(WangInputs x, double delta, double tau)
    {
        double m = x.M, n = x.N, eta = Math.Sqrt(m * n);
        double truncation = Math.Sqrt(2) * SpecialFunctions.InverseErf(1 / (2 * m));
        double sumLog = 0;
        for (int i = 0; i < x.W.Length; i++)
        {
            double bracket = eta * x.H[i] + x.Rho * eta * Math.Sqrt(m) * x.Kappa[i] / 3 + 1 / tau;
            double cap = x.Kappa[i] / truncation;
            double sigma = bracket > 0 ? Math.Min(1 / Math.Sqrt(bracket), cap) : cap;
            sumLog += Math.Log(sigma * sigma);
        }
        double complexity = (m * Math.Log(tau) - sumLog + 1 + 2 * Math.Log(1 / delta)) / (2 * eta) + eta / (2 * n);
        return new BoundValue(x.Error + complexity, [("empirical", x.Error), ("complexity", complexity), ("rho", x.Rho), ("negative_h", x.Negative)]);
    }
}
