using static TorchSharp.torch;

namespace Basin.Bounds;

/// <summary>
/// The binary relative entropy and its inverse, the core of the PAC-Bayes-kl bound (Seeger 2002; Maurer
/// 2004): with probability ≥ 1 − δ, <c>kl(L̂_Q ‖ L_Q) ≤ (KL(Q‖P) + ln(2√n/δ)) / n</c>, so
/// <c>L_Q ≤ kl⁻¹(L̂_Q, (KL + ln(2√n/δ)) / n)</c>; and the Gaussian KL between a diagonal posterior and an
/// isotropic prior.
/// </summary>
public static class KlDivergence
{
    /// <summary><c>kl(q ‖ p) = q ln(q/p) + (1 − q) ln((1 − q)/(1 − p))</c> for q, p in [0, 1] (0 ln 0 = 0; +∞ where p is 0 or 1 and q is not).</summary>
    public static double Bernoulli(double q, double p)
    {
        if (!(q >= 0 && q <= 1 && p >= 0 && p <= 1)) throw new ArgumentOutOfRangeException(nameof(q), $"kl needs q, p in [0, 1], got {q}, {p}");
        return Term(q, p) + Term(1 - q, 1 - p);

        static double Term(double a, double b) => a == 0 ? 0 : b == 0 ? double.PositiveInfinity : a * Math.Log(a / b);
    }

    /// <summary>
    /// The upper inverse <c>kl⁻¹(q, c) = max{p ∈ [q, 1] : kl(q ‖ p) ≤ c}</c>, by bisection to 1e-12 (kl(q ‖ ·) increases
    /// on [q, 1], so the set is an interval).
    /// </summary>
    public static double InverseUpper(double q, double c)
    {
        if (!(q >= 0 && q <= 1)) throw new ArgumentOutOfRangeException(nameof(q), $"kl⁻¹ needs q in [0, 1], got {q}");
        if (!(c >= 0)) throw new ArgumentOutOfRangeException(nameof(c), $"kl⁻¹ needs c ≥ 0, got {c}");
        if (q == 1 || Bernoulli(q, 1) <= c) return 1;
        double lo = q, hi = 1;
        while (hi - lo > 1e-12)
        {
            double mid = 0.5 * (lo + hi);
            if (Bernoulli(q, mid) <= c) lo = mid;
            else hi = mid;
        }
        return hi;
    }

    /// <summary>
    /// KL(N(μ, diag σ²) ‖ N(μ₀, λI)) = ½ Σ_i [σ_i²/λ + (μ_i − μ₀,i)²/λ − 1 + ln(λ/σ_i²)], summed in float64 whatever the
    /// tensors' dtype (the posterior's standard deviations σ are given, not the variances).
    /// </summary>
    public static double Gaussian(Tensor mean, Tensor sigma, Tensor priorMean, double priorVariance)
    {
        if (!mean.shape.SequenceEqual(sigma.shape) || !mean.shape.SequenceEqual(priorMean.shape)) throw new ArgumentException("means and standard deviations must have one shape");
        if (!(priorVariance > 0)) throw new ArgumentOutOfRangeException(nameof(priorVariance), $"the prior variance must be positive, got {priorVariance}");
        using var scope = NewDisposeScope();
        var s2 = sigma.to(ScalarType.Float64).square();
        var d2 = (mean.to(ScalarType.Float64) - priorMean.to(ScalarType.Float64)).square();
        return 0.5 * (s2 / priorVariance + d2 / priorVariance - 1 + (priorVariance / s2).log()).sum().item<double>();
    }
}
