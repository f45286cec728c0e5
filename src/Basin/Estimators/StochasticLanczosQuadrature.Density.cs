namespace Basin.Estimators;

/// <summary>The spectral density an SLQ run draws: its nodes and weights, broadened on a grid.</summary>
public sealed partial class StochasticLanczosQuadrature
{
    /// <summary>The spectral density on <paramref name="grid"/>, each node broadened by a Gaussian of width <paramref name="sigma"/>; integrates to 1.</summary>
    public double[] Density(IReadOnlyList<double> grid, double sigma) => Broaden(Nodes().Select(n => (n.Node, n.Weight)), grid, sigma);

    /// <summary>
    /// The broadened density <c>ρ(t) = Σ_j τ_j φ_σ(t − θ_j)</c> of weighted nodes (θ_j, τ_j) on <paramref name="grid"/>,
    /// φ_σ the Gaussian of width <paramref name="sigma"/>: the one place a spectral density is drawn from quadrature nodes.
    /// </summary>
    public static double[] Broaden(IEnumerable<(double Node, double Weight)> nodes, IReadOnlyList<double> grid, double sigma)
    {
        if (!(sigma > 0)) throw new ArgumentException($"the broadening width must be positive, got {sigma}");
        var points = nodes.ToArray();
        double norm = 1 / (sigma * Math.Sqrt(2 * Math.PI));
        var density = new double[grid.Count];
        for (int g = 0; g < grid.Count; g++)
        {
            double sum = 0;
            foreach (var (node, weight) in points) sum += weight * norm * Math.Exp(-0.5 * Math.Pow((grid[g] - node) / sigma, 2));
            density[g] = sum;
        }
        return density;
    }

    /// <summary>
    /// A grid of <paramref name="points"/> spanning <paramref name="nodes"/> with a margin of 10σ on each side, and the
    /// broadening width σ = span / 200 used on it.
    /// </summary>
    public static (double[] Grid, double Sigma) Grid(IEnumerable<double> nodes, int points)
    {
        var all = nodes.ToArray();
        if (all.Length == 0) throw new ArgumentException("a density grid needs at least one node");
        double lo = all.Min(), hi = all.Max(), span = Math.Max(hi - lo, 1e-12), sigma = span / 200;
        return (Enumerable.Range(0, points).Select(i => lo - 10 * sigma + (span + 20 * sigma) * i / (points - 1)).ToArray(), sigma);
    }

    /// <summary>
    /// All nodes and weights, summing to 1, for the density and CSV output: each start's weights divided by the number of starts;
    /// after deflation each deflated Ritz value θ_i (start −1) weighs 1/P and the starts, which saw the other P − k eigenvalues,
    /// (P − k)/P together.
    /// </summary>
    public IEnumerable<(int Start, double Node, double Weight)> Nodes()
    {
        int k = DeflatedValues.Count;
        double share = (double)(Dimension - k) / Dimension / Rules.Count;
        return DeflatedValues.Select(t => (-1, t, 1.0 / Dimension)).Concat(Rules.SelectMany((r, s) => r.Nodes.Zip(r.Weights, (t, w) => (s, t, w * share))));
    }

    /// <summary>
    /// The density's right edge and its error: the largest deflated Ritz value and its residual after deflation, else the largest
    /// Ritz value of all starts with the spread (standard error) of each start's largest (NaN with one start).
    /// </summary>
    public (double Value, double Error, string How) RightEdge()
    {
        if (DeflatedValues.Count > 0) return (DeflatedValues[0], DeflatedResiduals[0], "Ritz residual of the largest deflated pair");
        var edges = RunningStatistics.Of(Rules.Select(r => r.Nodes.Max()));
        return (Rules.Max(r => r.Nodes.Max()), edges.StandardError, "spread of each start's largest Ritz value");
    }
}
