using Basin.Operators;
using static TorchSharp.torch;

namespace Basin.Estimators;

/// <summary>The tridiagonal matrix of a Lanczos run: diagonal α, off-diagonal β (β[j] couples steps j and j+1).</summary>
/// <param name="Alpha">α₁ … α_m.</param>
/// <param name="Beta">β₁ … β_m; the last one is the residual norm after step m.</param>
/// <param name="StartNorm">‖v₀‖ of the start vector.</param>
/// <param name="Products">Operator products spent.</param>
/// <param name="Breakdown">Whether an invariant subspace was found before m steps.</param>
public sealed record LanczosRun(double[] Alpha, double[] Beta, double StartNorm, long Products, bool Breakdown)
{
    /// <summary>The number of steps taken.</summary>
    public int Steps => Alpha.Length;

    /// <summary>Ritz values (ascending), the squared first components of the Ritz vectors, and the residual norms <c>β_m |s_{m,i}|</c>.</summary>
    public (double[] Values, double[] Weights, double[] Residuals) Ritz()
    {
        var (values, vectors) = Tridiagonal.Eigen(Alpha, Beta[..^1]);
        int m = Steps;
        var weights = new double[m];
        var residuals = new double[m];
        double last = Breakdown ? 0 : Beta[^1];
        for (int i = 0; i < m; i++)
        {
            weights[i] = vectors[0, i] * vectors[0, i];
            residuals[i] = Math.Abs(last * vectors[m - 1, i]);
        }
        return (values, weights, residuals);
    }
}

/// <summary>Eigenvalues with per-pair residual norms and convergence flags.</summary>
/// <param name="Values">The eigenvalue estimates, largest first (or the smallest, for λ_min).</param>
/// <param name="Residuals">‖Av − λv‖ for each pair.</param>
/// <param name="Converged">Whether each residual is within the tolerance (relative to |λ|).</param>
/// <param name="Products">Operator products spent.</param>
/// <param name="Settings">The settings used.</param>
public sealed record EigenEstimate(double[] Values, double[] Residuals, bool[] Converged, long Products, IReadOnlyDictionary<string, string> Settings);

/// <summary>
/// The Lanczos algorithm with full re-orthogonalisation (Lanczos 1950; Paige 1972; as in Ghorbani et al.
/// 2019 and PyHessian): m products build an orthonormal Krylov basis and a tridiagonal T whose eigenvalues
/// (Ritz values) approximate A's extreme eigenvalues; T's eigenproblem is solved in float64.
/// </summary>
public static class Lanczos
{
    /// <summary>Runs <paramref name="steps"/> Lanczos steps from <paramref name="start"/> (a seeded Rademacher vector when null).</summary>
    public static LanczosRun Run(ILinearOperator op, int steps, int seed = 0, Tensor? start = null, IProgress<double>? progress = null)
    {
        if (steps < 1) throw new ArgumentException($"Lanczos needs at least one step, got {steps}");
        steps = (int)Math.Min(steps, op.Dimension);
        using var scope = NewDisposeScope();
        long before = op.Products;
        Tensor v;
        if (start is null)
        {
            using var probes = new Probes(op, seed);
            v = probes.Rademacher();
        }
        else
        {
            op.CheckVector(start);
            v = start.clone();
        }
        double startNorm = v.norm().to(ScalarType.Float64).item<double>();
        if (!(startNorm > 0)) throw new ArgumentException("the Lanczos start vector is zero");
        // The basis lives in one preallocated [m, P] matrix: re-orthogonalising against a view of its
        // first rows allocates nothing of size m·P per step.
        var basis = empty([steps, op.Dimension], op.DType, op.Device);
        basis[0].copy_(v.div(startNorm));
        var alpha = new List<double>();
        var beta = new List<double>();
        bool breakdown = false;
        for (int j = 0; j < steps; j++)
        {
            using var step = NewDisposeScope();
            var vj = basis[j];
            var w = op.Apply(vj);
            double a = vj.dot(w).to(ScalarType.Float64).item<double>();
            alpha.Add(a);
            var q = basis.narrow(0, 0, j + 1);
            // Full re-orthogonalisation, twice ("twice is enough", Parlett).
            w = w - q.t().mv(q.mv(w));
            w = w - q.t().mv(q.mv(w));
            double b = w.norm().to(ScalarType.Float64).item<double>();
            beta.Add(b);
            progress?.Report((j + 1.0) / steps);
            if (j == steps - 1) break;
            if (b <= 1e-10 * Math.Max(Math.Abs(a), 1e-30) || b == 0)
            {
                breakdown = true;
                break;
            }
            basis[j + 1].copy_(w.div(b));
        }
        return new LanczosRun(alpha.ToArray(), beta.ToArray(), startNorm, op.Products - before, breakdown);
    }

    /// <summary>The <paramref name="k"/> largest eigenvalues from <paramref name="steps"/> Lanczos steps.</summary>
    public static EigenEstimate TopEigenvalues(ILinearOperator op, int k, int steps = 100, double tolerance = 1e-6, int seed = 0, IProgress<double>? progress = null)
    {
        if (k < 1) throw new ArgumentException($"k must be positive, got {k}");
        var run = Run(op, Math.Max(steps, k + 1), seed, progress: progress);
        var (values, _, residuals) = run.Ritz();
        var order = Enumerable.Range(0, values.Length).OrderByDescending(i => values[i]).Take(k).ToArray();
        return Result(run, order, values, residuals, tolerance, k, steps, seed);
    }

    /// <summary>The smallest (algebraic) eigenvalue λ_min.</summary>
    public static EigenEstimate SmallestEigenvalue(ILinearOperator op, int steps = 100, double tolerance = 1e-6, int seed = 0)
    {
        var run = Run(op, steps, seed);
        var (values, _, residuals) = run.Ritz();
        return Result(run, [0], values, residuals, tolerance, 1, steps, seed);
    }

    private static EigenEstimate Result(LanczosRun run, int[] order, double[] values, double[] residuals, double tolerance, int k, int steps, int seed) => new(
        order.Select(i => values[i]).ToArray(),
        order.Select(i => residuals[i]).ToArray(),
        order.Select(i => residuals[i] <= tolerance * Math.Max(Math.Abs(values[i]), 1e-12)).ToArray(),
        run.Products,
        Estimate.With(("estimator", "lanczos"), ("k", k), ("steps", steps), ("reorthogonalisation", "full"), ("tolerance", tolerance), ("seed", seed)));
}
