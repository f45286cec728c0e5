namespace Basin.Bounds;

/// <summary>The training objectives of a PAC-Bayes posterior (Pérez-Ortiz, Rivasplata, Shawe-Taylor, Szepesvári 2021).</summary>
public enum PacBayesObjective
{
    /// <summary>f_quad: <c>(√(L̂ + B/2) + √(B/2))²</c>, the tightest of the three in their experiments (the default).</summary>
    Quad,

    /// <summary>f_classic (McAllester 1999): <c>L̂ + √(B/2)</c>.</summary>
    Classic,

    /// <summary>The kl-bound relaxation f_λ (Thiemann et al. 2017): <c>L̂/(1 − λ/2) + B/(λ(1 − λ/2))</c>, λ ∈ (0, 2) at its optimum.</summary>
    Kl,
}

/// <summary>
/// The objectives as functions of the empirical (surrogate) risk L̂ ∈ [0, 1] and <c>B = (KL + ln(2√n/δ)) / n</c>,
/// with their partial derivatives, which the posterior's optimiser chains into the weights' gradients.
/// </summary>
public static class PacBayesObjectives
{
    /// <summary>B = (KL + ln(2√n/δ)) / n.</summary>
    public static double Complexity(double kl, double n, double delta) => (kl + Math.Log(2 * Math.Sqrt(n) / delta)) / n;

    /// <summary>The objective's value and ∂/∂L̂, ∂/∂B at (<paramref name="risk"/>, <paramref name="complexity"/>).</summary>
    public static (double Value, double DRisk, double DComplexity) Evaluate(PacBayesObjective objective, double risk, double complexity)
    {
        if (!(risk >= 0) || !(complexity > 0)) throw new ArgumentOutOfRangeException(nameof(risk), $"a PAC-Bayes objective needs L̂ ≥ 0 and B > 0, got {risk}, {complexity}");
        switch (objective)
        {
            case PacBayesObjective.Classic:
                {
                    double s = Math.Sqrt(complexity / 2);
                    return (risk + s, 1, 1 / (4 * s));
                }
            case PacBayesObjective.Quad:
                {
                    double a = Math.Sqrt(risk + complexity / 2), b = Math.Sqrt(complexity / 2);
                    return ((a + b) * (a + b), (a + b) / a, (a + b) * (1 / (2 * a) + 1 / (2 * b)));
                }
            default:
                {
                    double lambda = 2 / (Math.Sqrt(2 * risk / complexity + 1) + 1);
                    double scale = 1 - lambda / 2;
                    return (risk / scale + complexity / (lambda * scale), 1 / scale, 1 / (lambda * scale));
                }
        }
    }
}
