namespace Basin.Estimators;

/// <summary>
/// Two-sided bounds on one start's quadratic form <c>vᵀ f(A) v</c> from its Lanczos run: the Gauss rule of the run (an upper bound)
/// and the Gauss–Radau rule with a node fixed at a lower end <c>a</c> of A's spectrum (a lower bound), for every f whose derivatives
/// of even order are ≤ 0 and of odd order ≥ 0 on <c>[a, ∞)</c> — <c>log(c + t)</c> and <c>log(1 + t/δ)</c>, so log-determinants of a
/// positive semi-definite matrix such as the GGN, with <c>a = 0</c> (Golub &amp; Meurant 1994, Thm 6.4 of their 2010 book; Bai,
/// Fahey &amp; Golub 1996 for log det).
/// </summary>
/// <remarks>
/// <para>
/// The m-node Gauss rule errs by <c>f⁽²ᵐ⁾(η)/(2m)! ∫ Π(t − θ_j)² dμ ≤ 0</c>, so it lies above the integral; the (m + 1)-node Gauss–Radau
/// rule, read from T_m extended by the row <c>(β_m, α̃)</c> with <c>α̃ = a + β_m² [(T_m − aI)⁻¹]_{mm}</c>, errs by
/// <c>f⁽²ᵐ⁺¹⁾(η)/(2m+1)! ∫ (t − a) Π(t − θ̃_j)² dμ ≥ 0</c> when a is at or below the spectrum, so it lies below. The bracket is
/// the truncation error of SLQ without guessing: where the Gauss rule converges slowly — log(1 + t/δ) at δ = 10⁻⁴ over a GGN whose
/// spectrum piles up at 0, which the fixed node at 0 resolves and the Gauss nodes do not — it is several times narrower than the
/// change between m/2 and m steps, the heuristic it replaces (which is no bound).
/// </para>
/// <para>
/// Rounding: a float32 Lanczos run can place its smallest Ritz value a rounding error below 0; the fixed node is then put just below
/// the smallest Ritz value, so that <c>T_m − aI</c> stays positive definite and the bound holds for the matrix the run saw.
/// </para>
/// </remarks>
public static class GaussRadau
{
    /// <summary>
    /// The Gauss–Radau lower and Gauss upper bound on <c>vᵀ f(A) v</c> (scaled by the start's ‖v‖²) from the first
    /// <paramref name="steps"/> steps of <paramref name="run"/> (all by default); null where f is not finite at the nodes.
    /// </summary>
    /// <param name="run">The Lanczos run from v.</param>
    /// <param name="f">A function whose even derivatives are ≤ 0 and odd derivatives ≥ 0 on [a, ∞) (the caller's promise).</param>
    /// <param name="lowerEnd">A number at or below every eigenvalue of A: 0 for a positive semi-definite A.</param>
    /// <param name="steps">Steps of the run to use (its leading block).</param>
    public static (double Lower, double Upper)? Bracket(LanczosRun run, Func<double, double> f, double lowerEnd, int? steps = null)
    {
        int m = steps ?? run.Steps;
        if (m < 1 || m > run.Steps) throw new ArgumentOutOfRangeException(nameof(steps), $"a run of {run.Steps} steps has no leading block of {m}");
        var (values, vectors) = Tridiagonal.Eigen(run.Alpha[..m], run.Beta[..(m - 1)]);
        double scale = run.StartNorm * run.StartNorm;
        double gauss = 0;
        for (int i = 0; i < m; i++) gauss += vectors[0, i] * vectors[0, i] * f(values[i]);
        // An invariant subspace found at step m: the Gauss rule is exact and the extra row decouples.
        double beta = run.Breakdown && m == run.Steps ? 0 : run.Beta[m - 1];
        double top = values.Max(Math.Abs);
        double a = Math.Min(lowerEnd, values[0] - 1e-12 * Math.Max(top, double.Epsilon));
        // [(T_m − aI)⁻¹]_{mm} from T_m's eigenpairs: Σ_i u_{m,i}² / (θ_i − a), every term positive.
        double inverse = 0;
        for (int i = 0; i < m; i++) inverse += vectors[m - 1, i] * vectors[m - 1, i] / (values[i] - a);
        var diagonal = new double[m + 1];
        var offDiagonal = new double[m];
        Array.Copy(run.Alpha, diagonal, m);
        Array.Copy(run.Beta, offDiagonal, m - 1);
        diagonal[m] = a + beta * beta * inverse;
        offDiagonal[m - 1] = beta;
        if (!double.IsFinite(diagonal[m])) return null;
        var (radauNodes, radauVectors) = Tridiagonal.Eigen(diagonal, offDiagonal);
        double radau = 0;
        for (int i = 0; i <= m; i++) radau += radauVectors[0, i] * radauVectors[0, i] * f(radauNodes[i]);
        if (!double.IsFinite(gauss) || !double.IsFinite(radau)) return null;
        // Equal in exact arithmetic when the run is exact; rounding may cross them by an ulp.
        return (scale * Math.Min(radau, gauss), scale * Math.Max(radau, gauss));
    }
}
