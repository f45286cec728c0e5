namespace Basin.Statistics;

/// <summary>
/// The Benjamini–Hochberg step-up adjustment (Benjamini &amp; Hochberg 1995): with m p-values sorted ascending,
/// <c>q_(i) = min_{k ≥ i} min(1, m·p_(k)/k)</c>. Rejecting every hypothesis with q ≤ α controls the false discovery rate
/// at α across the m tests (independent or positively dependent). NaN p-values are left NaN and not counted in m.
/// </summary>
public static class BenjaminiHochberg
{
    /// <summary>The adjusted p-values (q-values), in the order of <paramref name="pValues"/>.</summary>
    public static double[] Adjust(IReadOnlyList<double> pValues)
    {
        var q = Enumerable.Repeat(double.NaN, pValues.Count).ToArray();
        var order = Enumerable.Range(0, pValues.Count).Where(i => double.IsFinite(pValues[i])).OrderBy(i => pValues[i]).ToArray();
        int m = order.Length;
        double running = 1;
        for (int rank = m; rank >= 1; rank--)
        {
            int i = order[rank - 1];
            running = Math.Min(running, Math.Min(1, m * pValues[i] / rank));
            q[i] = running;
        }
        return q;
    }
}
