namespace Basin.Statistics;

/// <summary>A paired bootstrap comparison: the observed difference, its 95% percentile interval and a two-sided p-value.</summary>
/// <param name="Difference">The statistic's observed value (e.g. τ_A − τ_B).</param>
/// <param name="Lower">2.5% percentile of the bootstrap draws.</param>
/// <param name="Upper">97.5% percentile.</param>
/// <param name="PValue">Two-sided: 2·min(P*(d ≤ 0), P*(d ≥ 0)) with the (count + 1)/(draws + 1) correction, at most 1.</param>
/// <param name="Draws">Bootstrap draws with a finite statistic.</param>
public sealed record BootstrapComparison(double Difference, double Lower, double Upper, double PValue, int Draws);

/// <summary>
/// A two-level bootstrap for populations trained on a grid (Davison &amp; Hinkley 1997 §3.8): grid points are resampled
/// with replacement within each stratum (the data set), then the seeds within each drawn grid point; the statistic
/// receives the drawn model indices and a seeded random source, with which it also draws each model's own measurement
/// noise (the metrics' Monte-Carlo standard errors, the gaps' binomial ones). Paired: both sides of a comparison see the
/// same draws.
/// </summary>
public static class HierarchicalBootstrap
{
    /// <summary>
    /// Compares by <paramref name="statistic"/> (evaluated once on the population as it is, then on every draw). Models are
    /// grouped by <paramref name="groupOf"/> (grid point) within <paramref name="stratumOf"/> (data set).
    /// </summary>
    public static BootstrapComparison Compare(IReadOnlyList<string> stratumOf, IReadOnlyList<string> groupOf, Func<IReadOnlyList<int>, Random?, double> statistic, int draws = 1000, int seed = 0)
    {
        if (stratumOf.Count != groupOf.Count) throw new ArgumentException("one stratum and one group per model");
        double observed = statistic(Enumerable.Range(0, groupOf.Count).ToArray(), null);
        var strata = Enumerable.Range(0, groupOf.Count).GroupBy(i => stratumOf[i])
            .Select(s => s.GroupBy(i => groupOf[i]).Select(g => g.ToArray()).ToArray()).ToArray();
        var rng = new Random(seed);
        var values = new List<double>(draws);
        var indices = new List<int>(groupOf.Count);
        for (int d = 0; d < draws; d++)
        {
            indices.Clear();
            foreach (var groups in strata)
                for (int g = 0; g < groups.Length; g++)
                {
                    var group = groups[rng.Next(groups.Length)];
                    for (int k = 0; k < group.Length; k++) indices.Add(group[rng.Next(group.Length)]);
                }
            double value = statistic(indices, rng);
            if (double.IsFinite(value)) values.Add(value);
        }
        if (values.Count == 0) return new BootstrapComparison(observed, double.NaN, double.NaN, double.NaN, 0);
        values.Sort();
        double below = values.Count(v => v <= 0), above = values.Count(v => v >= 0);
        double p = Math.Min(1, 2 * (Math.Min(below, above) + 1) / (values.Count + 1));
        return new BootstrapComparison(observed, Quantile.OfSorted(values, 0.025), Quantile.OfSorted(values, 0.975), p, values.Count);
    }

    /// <summary>A value drawn from N(<paramref name="value"/>, <paramref name="standardError"/>²); the value itself when the error is not finite or when <paramref name="rng"/> is null (the observed population).</summary>
    public static double Perturb(double value, double standardError, Random? rng) =>
        rng is null || !double.IsFinite(standardError) || standardError <= 0 ? value : value + standardError * Basin.Data.Shuffle.NextGaussian(rng);
}
