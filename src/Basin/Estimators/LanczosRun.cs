namespace Basin.Estimators;

/// <summary>The tridiagonal matrix of a Lanczos run: diagonal α, off-diagonal β (β[j] couples steps j and j+1).</summary>
/// <param name="Alpha">α₁ … α_m.</param>
/// <param name="Beta">β₁ … β_m; the last one is the residual norm after step m.</param>
/// <param name="StartNorm">‖v₀‖ of the start vector.</param>
/// <param name="Products">Operator products spent.</param>
/// <param name="Breakdown">Whether an invariant subspace was found before m steps.</param>
/// <param name="Epsilon">The machine epsilon of the working precision (the operator's dtype).</param>
public sealed record LanczosRun(double[] Alpha, double[] Beta, double StartNorm, long Products, bool Breakdown, double Epsilon = 0)
{
    /// <summary>The number of steps taken.</summary>
    public int Steps => Alpha.Length;

    /// <summary>Why it stopped: its stopping rule's tolerance met (or an invariant subspace found), its step budget, or its time.</summary>
    public EstimateStatus Status { get; init; } = EstimateStatus.BudgetExhausted;

    /// <summary>
    /// The largest relative residual <c>‖Av − θv‖ / |θ|</c> of the top <paramref name="k"/> Ritz pairs: what a stopping rule on
    /// the top eigenvalues reads (a Ritz value is then within that relative distance of an eigenvalue of A).
    /// </summary>
    public double TopRelativeResidual(int k = 1)
    {
        var (values, _, residuals) = Ritz();
        return Enumerable.Range(0, values.Length).OrderByDescending(i => values[i]).Take(k).Max(i => residuals[i] / Math.Max(Math.Abs(values[i]), 1e-300));
    }

    /// <summary>
    /// Ritz values (ascending), the squared first components of the Ritz vectors, and the residual norms
    /// <c>max(β_m |s_{m,i}|, ε·max|θ|)</c>: the Lanczos estimate of ‖Av − θv‖, floored at what the working precision resolves.
    /// </summary>
    public (double[] Values, double[] Weights, double[] Residuals) Ritz() => Ritz(Steps);

    /// <summary>The same for the first <paramref name="steps"/> steps only (T's leading block: the run that would have stopped there).</summary>
    public (double[] Values, double[] Weights, double[] Residuals) Ritz(int steps)
    {
        if (steps < 1 || steps > Steps) throw new ArgumentOutOfRangeException(nameof(steps), $"a run of {Steps} steps has no leading block of {steps}");
        bool truncated = steps < Steps;
        var (values, vectors) = Tridiagonal.Eigen(Alpha[..steps], Beta[..(steps - 1)]);
        int m = steps;
        var weights = new double[m];
        var residuals = new double[m];
        double last = Breakdown && !truncated ? 0 : Beta[m - 1];
        double floor = Epsilon * values.Max(Math.Abs);
        for (int i = 0; i < m; i++)
        {
            weights[i] = vectors[0, i] * vectors[0, i];
            residuals[i] = Math.Max(Math.Abs(last * vectors[m - 1, i]), floor);
        }
        return (values, weights, residuals);
    }
}
