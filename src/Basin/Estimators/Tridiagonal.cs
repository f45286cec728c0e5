namespace Basin.Estimators;

/// <summary>
/// The symmetric tridiagonal eigenproblem in float64 by the implicit QL method with Wilkinson shifts
/// (Bowdler, Martin, Reinsch, Wilkinson 1968): the small dense core of Lanczos and SLQ.
/// </summary>
public static class Tridiagonal
{
    /// <summary>
    /// Eigenvalues (ascending) and eigenvectors (columns of the n×n matrix) of the tridiagonal matrix with
    /// diagonal <paramref name="diagonal"/> and off-diagonal <paramref name="offDiagonal"/> (length n−1).
    /// </summary>
    /// <exception cref="ArgumentException">The lengths do not match or a value is not finite.</exception>
    /// <exception cref="ArithmeticException">The iteration did not converge (60 sweeps per eigenvalue).</exception>
    public static (double[] Values, double[,] Vectors) Eigen(IReadOnlyList<double> diagonal, IReadOnlyList<double> offDiagonal)
    {
        int n = diagonal.Count;
        if (n == 0 || offDiagonal.Count != n - 1) throw new ArgumentException($"a tridiagonal matrix of order {n} needs {Math.Max(0, n - 1)} off-diagonal entries, got {offDiagonal.Count}");
        if (diagonal.Concat(offDiagonal).Any(x => !double.IsFinite(x))) throw new ArgumentException("the tridiagonal matrix has non-finite entries");
        var d = diagonal.ToArray();
        var e = new double[n];
        for (int i = 0; i < n - 1; i++) e[i] = offDiagonal[i];
        var z = new double[n, n];
        for (int i = 0; i < n; i++) z[i, i] = 1;

        for (int l = 0; l < n; l++)
        {
            int iterations = 0;
            int m;
            do
            {
                for (m = l; m < n - 1; m++)
                {
                    double dd = Math.Abs(d[m]) + Math.Abs(d[m + 1]);
                    if (Math.Abs(e[m]) <= double.Epsilon + 1e-15 * dd) break;
                }
                if (m == l) break;
                if (iterations++ == 60) throw new ArithmeticException("tridiagonal eigenproblem did not converge in 60 sweeps");
                double g = (d[l + 1] - d[l]) / (2 * e[l]);
                double r = Hypot(g, 1);
                g = d[m] - d[l] + e[l] / (g + (g >= 0 ? Math.Abs(r) : -Math.Abs(r)));
                double s = 1, c = 1, p = 0;
                int i;
                bool underflow = false;
                for (i = m - 1; i >= l; i--)
                {
                    double f = s * e[i], b = c * e[i];
                    r = Hypot(f, g);
                    e[i + 1] = r;
                    if (r == 0)
                    {
                        d[i + 1] -= p;
                        e[m] = 0;
                        underflow = true;
                        break;
                    }
                    s = f / r;
                    c = g / r;
                    g = d[i + 1] - p;
                    r = (d[i] - g) * s + 2 * c * b;
                    p = s * r;
                    d[i + 1] = g + p;
                    g = c * r - b;
                    for (int k = 0; k < n; k++)
                    {
                        f = z[k, i + 1];
                        z[k, i + 1] = s * z[k, i] + c * f;
                        z[k, i] = c * z[k, i] - s * f;
                    }
                }
                if (underflow) continue;
                d[l] -= p;
                e[l] = g;
                e[m] = 0;
            }
            while (m != l);
        }

        var order = Enumerable.Range(0, n).OrderBy(i => d[i]).ToArray();
        var values = order.Select(i => d[i]).ToArray();
        var vectors = new double[n, n];
        for (int j = 0; j < n; j++)
            for (int k = 0; k < n; k++) vectors[k, j] = z[k, order[j]];
        return (values, vectors);
    }

    private static double Hypot(double a, double b)
    {
        double x = Math.Abs(a), y = Math.Abs(b);
        if (x < y) (x, y) = (y, x);
        if (x == 0) return 0;
        double t = y / x;
        return x * Math.Sqrt(1 + t * t);
    }
}
