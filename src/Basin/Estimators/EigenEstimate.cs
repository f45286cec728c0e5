namespace Basin.Estimators;

/// <summary>Eigenvalues with per-pair residual norms and convergence flags.</summary>
/// <param name="Values">The eigenvalue estimates, largest first (or the smallest, for λ_min).</param>
/// <param name="Residuals">‖Av − λv‖ for each pair.</param>
/// <param name="Converged">Whether each residual is within the tolerance (relative to |λ|).</param>
/// <param name="Products">Operator products spent.</param>
/// <param name="Settings">The settings used.</param>
public sealed record EigenEstimate(double[] Values, double[] Residuals, bool[] Converged, long Products, IReadOnlyDictionary<string, string> Settings);
