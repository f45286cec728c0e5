namespace Basin.Metrics;

/// <summary>The optimum of one layer's normalized-sharpness problem.</summary>
/// <param name="Value">The minimum of the objective.</param>
/// <param name="X">ln σ_i² per row.</param>
/// <param name="Y">ln σ′_j² per column.</param>
/// <param name="Iterations">Sweeps taken.</param>
/// <param name="GradientNorm">‖∇‖ of the objective at the returned point (in x, y).</param>
/// <param name="Capped">Rows or columns whose curvature is all zero: their variance was capped at e^Cap.</param>
public sealed record NormalizedSharpnessOptimum(double Value, double[] X, double[] Y, int Iterations, double GradientNorm, int Capped);

/// <summary>
/// Solves seed 004 eq. 17 for one weight matrix: <c>min over σ, σ′ of Σ_ij h_ij (σ_i σ′_j)² + W_ij² / (2λ (σ_i σ′_j)²)</c>,
/// λ = ½, in the log-variance variables <c>x_i = ln σ_i², y_j = ln σ′_j²</c> where it is convex (Appendix B):
/// <c>F(x, y) = Σ_ij h_ij e^{x_i + y_j} + W_ij² e^{−x_i − y_j}</c>.
/// </summary>
/// <remarks>
/// Exact block-coordinate descent: for fixed y each x_i minimises <c>A_i e^{x} + B_i e^{−x}</c>
/// (<c>A_i = Σ_j h_ij e^{y_j}</c>, <c>B_i = Σ_j W_ij² e^{−y_j}</c>) at <c>x = ½ ln(B_i / A_i)</c>, and
/// symmetrically for y; each sweep cannot increase F and F is convex, so the sweeps converge to the
/// minimum. The gauge (x + c, y − c) is fixed by centring x after each sweep. Stops when the relative
/// decrease of F falls below the tolerance and the gradient is small. Negative h are clipped to 0
/// (Algorithm 1); a row or column with h = 0 throughout has its minimum at infinity: its log-variance is
/// capped at ±<see cref="Cap"/> and counted.
/// </remarks>
public static class NormalizedSharpnessSolver
{
    /// <summary>The bound on |x_i|, |y_j| (a variance of e^±60).</summary>
    public const double Cap = 60;

    /// <summary>Minimises the layer objective for curvature <paramref name="h"/> and weights <paramref name="w"/> (rows × columns).</summary>
    public static NormalizedSharpnessOptimum Solve(double[,] h, double[,] w, double tolerance = 1e-10, int maxSweeps = 10_000, double lambda = 0.5)
    {
        int rows = h.GetLength(0), cols = h.GetLength(1);
        if (w.GetLength(0) != rows || w.GetLength(1) != cols) throw new ArgumentException("h and W must have the same shape");
        var hc = new double[rows, cols];
        var w2 = new double[rows, cols];
        double scale = 1 / (2 * lambda);
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
            {
                hc[i, j] = Math.Max(h[i, j], 0);
                w2[i, j] = w[i, j] * w[i, j] * scale;
            }
        var x = new double[rows];
        var y = new double[cols];
        double previous = Objective(hc, w2, x, y);
        int sweeps = 0;
        int capped = 0;
        for (; sweeps < maxSweeps; sweeps++)
        {
            capped = 0;
            var ey = y.Select(Math.Exp).ToArray();
            var eny = y.Select(v => Math.Exp(-v)).ToArray();
            for (int i = 0; i < rows; i++)
            {
                double a = 0, b = 0;
                for (int j = 0; j < cols; j++) { a += hc[i, j] * ey[j]; b += w2[i, j] * eny[j]; }
                x[i] = Minimiser(a, b, ref capped);
            }
            var ex = x.Select(Math.Exp).ToArray();
            var enx = x.Select(v => Math.Exp(-v)).ToArray();
            var a2 = new double[cols];
            var b2 = new double[cols];
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < cols; j++) { a2[j] += hc[i, j] * ex[i]; b2[j] += w2[i, j] * enx[i]; }
            for (int j = 0; j < cols; j++) y[j] = Minimiser(a2[j], b2[j], ref capped);
            double shift = x.Average();
            for (int i = 0; i < rows; i++) x[i] -= shift;
            for (int j = 0; j < cols; j++) y[j] += shift;
            double value = Objective(hc, w2, x, y);
            bool small = Math.Abs(previous - value) <= tolerance * Math.Max(Math.Abs(value), 1e-300);
            previous = value;
            if (small && GradientNorm(hc, w2, x, y) <= Math.Sqrt(tolerance) * Math.Max(value, 1e-300)) { sweeps++; break; }
        }
        return new NormalizedSharpnessOptimum(previous, x, y, sweeps, GradientNorm(hc, w2, x, y), capped);
    }

    /// <summary>The objective F(x, y) with h already clipped and W² already scaled by 1/(2λ).</summary>
    public static double Objective(double[,] h, double[,] w2, double[] x, double[] y)
    {
        var ey = y.Select(Math.Exp).ToArray();
        double f = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double ex = Math.Exp(x[i]);
            for (int j = 0; j < y.Length; j++) f += h[i, j] * ex * ey[j] + w2[i, j] / (ex * ey[j]);
        }
        return f;
    }

    /// <summary>‖∇F‖ at (x, y).</summary>
    public static double GradientNorm(double[,] h, double[,] w2, double[] x, double[] y)
    {
        // ∂F/∂x_i = Σ_j t_ij and ∂F/∂y_j = Σ_i t_ij with t_ij = h_ij e^{x_i+y_j} − W_ij² e^{−x_i−y_j}.
        var ey = y.Select(Math.Exp).ToArray();
        var gx = new double[x.Length];
        var gy = new double[y.Length];
        for (int i = 0; i < x.Length; i++)
        {
            double ex = Math.Exp(x[i]);
            for (int j = 0; j < y.Length; j++)
            {
                double t = h[i, j] * ex * ey[j] - w2[i, j] / (ex * ey[j]);
                gx[i] += t;
                gy[j] += t;
            }
        }
        return Math.Sqrt(gx.Sum(g => g * g) + gy.Sum(g => g * g));
    }

    private static double Minimiser(double a, double b, ref int capped)
    {
        if (a <= 0 && b <= 0) return 0;
        if (a <= 0) { capped++; return Cap; }
        if (b <= 0) { capped++; return -Cap; }
        return Math.Clamp(0.5 * Math.Log(b / a), -Cap, Cap);
    }
}
