namespace Basin.Metrics;

/// <summary>The optimum of one layer's normalized-sharpness problem.</summary>
/// <param name="Value">The minimum of the objective.</param>
/// <param name="X">ln σ_i² per row.</param>
/// <param name="Y">ln σ′_j² per column.</param>
/// <param name="Iterations">Sweeps taken.</param>
/// <param name="GradientNorm">‖∇‖ of the objective at the returned point (in x, y).</param>
/// <param name="Capped">Rows and columns with no positive curvature or no weight, taken out of the problem (their terms vanish at the infimum).</param>
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
/// (Algorithm 1). A row or column with no positive curvature (a dead unit) or no weight has its infimum
/// at infinite or zero variance, where its terms vanish: it is taken out of the problem (repeatedly, since
/// removing a row can empty a column), reported at the cap ±<see cref="Cap"/>, and counted.
/// </remarks>
public static class NormalizedSharpnessSolver
{
    /// <summary>The bound on |x_i|, |y_j| (a variance of e^±60).</summary>
    public const double Cap = 60;

    /// <summary>Minimises the layer objective for curvature <paramref name="h"/> and weights <paramref name="w"/> (rows × columns).</summary>
    public static NormalizedSharpnessOptimum Solve(double[,] h, double[,] w, double tolerance = 1e-10, int maxSweeps = 100_000, double lambda = 0.5)
    {
        int rows = h.GetLength(0), cols = h.GetLength(1);
        if (w.GetLength(0) != rows || w.GetLength(1) != cols) throw new ArgumentException("h and W must have the same shape");
        double scale = 1 / (2 * lambda);
        var (activeRows, activeCols) = Active(h, w);
        int capped = rows - activeRows.Length + cols - activeCols.Length;
        var hc = new double[activeRows.Length, activeCols.Length];
        var w2 = new double[activeRows.Length, activeCols.Length];
        for (int a = 0; a < activeRows.Length; a++)
            for (int b = 0; b < activeCols.Length; b++)
            {
                hc[a, b] = Math.Max(h[activeRows[a], activeCols[b]], 0);
                double wv = w[activeRows[a], activeCols[b]];
                w2[a, b] = wv * wv * scale;
            }
        var (value, xa, ya, sweeps, gradient) = SolveActive(hc, w2, tolerance, maxSweeps);
        // Inactive rows and columns sit at the cap: their terms vanish at the infimum.
        var x = Enumerable.Repeat(Cap, rows).ToArray();
        var y = Enumerable.Repeat(Cap, cols).ToArray();
        for (int a = 0; a < activeRows.Length; a++) x[activeRows[a]] = xa[a];
        for (int b = 0; b < activeCols.Length; b++) y[activeCols[b]] = ya[b];
        return new NormalizedSharpnessOptimum(value, x, y, sweeps, gradient, capped);
    }

    /// <summary>
    /// The rows and columns whose infimum is finite. A row with no positive curvature (or no weight) left
    /// contributes nothing at its infimum, reached at infinite (or zero) variance; removing it can empty
    /// a column in turn, so this repeats until nothing changes.
    /// </summary>
    private static (int[] Rows, int[] Cols) Active(double[,] h, double[,] w)
    {
        int rows = h.GetLength(0), cols = h.GetLength(1);
        var rowOn = Enumerable.Repeat(true, rows).ToArray();
        var colOn = Enumerable.Repeat(true, cols).ToArray();
        bool changed = true;
        while (changed)
        {
            changed = false;
            for (int i = 0; i < rows; i++)
            {
                if (!rowOn[i]) continue;
                bool curvature = false, weight = false;
                for (int j = 0; j < cols; j++)
                {
                    if (!colOn[j]) continue;
                    curvature |= h[i, j] > 0;
                    weight |= w[i, j] != 0;
                }
                if (!curvature || !weight) { rowOn[i] = false; changed = true; }
            }
            for (int j = 0; j < cols; j++)
            {
                if (!colOn[j]) continue;
                bool curvature = false, weight = false;
                for (int i = 0; i < rows; i++)
                {
                    if (!rowOn[i]) continue;
                    curvature |= h[i, j] > 0;
                    weight |= w[i, j] != 0;
                }
                if (!curvature || !weight) { colOn[j] = false; changed = true; }
            }
        }
        return (Enumerable.Range(0, rows).Where(i => rowOn[i]).ToArray(), Enumerable.Range(0, cols).Where(j => colOn[j]).ToArray());
    }

    private static (double Value, double[] X, double[] Y, int Sweeps, double Gradient) SolveActive(double[,] hc, double[,] w2, double tolerance, int maxSweeps)
    {
        int rows = hc.GetLength(0), cols = hc.GetLength(1);
        var x = new double[rows];
        var y = new double[cols];
        if (rows == 0 || cols == 0) return (0, x, y, 0, 0);
        double previous = Objective(hc, w2, x, y);
        int sweeps = 0;
        int unused = 0;
        for (; sweeps < maxSweeps; sweeps++)
        {
            var ey = y.Select(Math.Exp).ToArray();
            var eny = y.Select(v => Math.Exp(-v)).ToArray();
            for (int i = 0; i < rows; i++)
            {
                double a = 0, b = 0;
                for (int j = 0; j < cols; j++) { a += hc[i, j] * ey[j]; b += w2[i, j] * eny[j]; }
                x[i] = Minimiser(a, b, ref unused);
            }
            var ex = x.Select(Math.Exp).ToArray();
            var enx = x.Select(v => Math.Exp(-v)).ToArray();
            var a2 = new double[cols];
            var b2 = new double[cols];
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < cols; j++) { a2[j] += hc[i, j] * ex[i]; b2[j] += w2[i, j] * enx[i]; }
            for (int j = 0; j < cols; j++) y[j] = Minimiser(a2[j], b2[j], ref unused);
            double shift = x.Average();
            for (int i = 0; i < rows; i++) x[i] -= shift;
            for (int j = 0; j < cols; j++) y[j] += shift;
            double value = Objective(hc, w2, x, y);
            bool small = Math.Abs(previous - value) <= tolerance * Math.Max(Math.Abs(value), 1e-300);
            previous = value;
            if (small && GradientNorm(hc, w2, x, y) <= Math.Sqrt(tolerance) * Math.Max(value, 1e-300)) { sweeps++; break; }
        }
        return (previous, x, y, sweeps, GradientNorm(hc, w2, x, y));
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
