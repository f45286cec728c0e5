namespace Basin.Statistics;

/// <summary>Sample quantiles by linear interpolation between order statistics (Hyndman &amp; Fan 1996 type 7, NumPy's default).</summary>
public static class Quantile
{
    /// <summary>The <paramref name="q"/>-quantile of values already sorted ascending.</summary>
    /// <exception cref="ArgumentException">No values, or q outside [0, 1].</exception>
    public static double OfSorted(IReadOnlyList<double> sorted, double q)
    {
        if (sorted.Count == 0) throw new ArgumentException("a quantile of no values");
        if (!(q >= 0 && q <= 1)) throw new ArgumentException($"quantile level must be in [0, 1], got {q}");
        double position = q * (sorted.Count - 1);
        int lo = (int)Math.Floor(position), hi = (int)Math.Ceiling(position);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (position - lo);
    }

    /// <summary>The <paramref name="q"/>-quantile of <paramref name="values"/> in any order.</summary>
    public static double Of(IEnumerable<double> values, double q) => OfSorted(values.Order().ToArray(), q);

    /// <summary>The median of the finite values: the middle one, or the mean of the middle two; NaN when there is none.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Where(double.IsFinite).Order().ToList();
        if (sorted.Count == 0) return double.NaN;
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : 0.5 * (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]);
    }
}
