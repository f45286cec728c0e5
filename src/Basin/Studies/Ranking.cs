namespace Basin.Studies;

/// <summary>A rank correlation with its bootstrap 95% interval and its two-sided permutation p-value.</summary>
/// <param name="Value">The statistic.</param>
/// <param name="Lower">The interval's lower end.</param>
/// <param name="Upper">The interval's upper end.</param>
/// <param name="Models">n.</param>
/// <param name="PValue">P(|statistic| ≥ |observed|) when y is shuffled against x: exact for n ≤ 8, else from 10 000 seeded permutations; NaN when undefined.</param>
public sealed record Correlation(double Value, double Lower, double Upper, int Models, double PValue = double.NaN)
{
    /// <summary>
    /// Whether the bootstrap interval says nothing: it has no width (a perfect order resamples into itself)
    /// or there are fewer than 5 models (the resamples repeat a handful of points). Read the p-value instead.
    /// </summary>
    public bool Degenerate => Models < 5 || !(Upper - Lower > 1e-9);
}

/// <summary>
/// Rank correlations between a metric and a generalization gap over a population of models: Kendall's
/// τ-b and Spearman's ρ (both tie-corrected), bootstrap percentile intervals over models, and the
/// granulated Kendall coefficient of Jiang et al. 2020 for grids over several axes.
/// </summary>
public static class Ranking
{
    /// <summary>
    /// Kendall's τ-b: <c>(C − D) / √((n₀ − n₁)(n₀ − n₂))</c>, n₀ = n(n−1)/2, n₁ and n₂ the pairs tied in x and in
    /// y. NaN when either variable is constant.
    /// </summary>
    public static double KendallTau(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        Check(x, y);
        long concordant = 0, discordant = 0, tiesX = 0, tiesY = 0, n0 = 0;
        for (int i = 0; i < x.Count; i++)
        {
            for (int j = i + 1; j < x.Count; j++)
            {
                n0++;
                int sx = Math.Sign(x[i] - x[j]), sy = Math.Sign(y[i] - y[j]);
                if (sx == 0) tiesX++;
                if (sy == 0) tiesY++;
                if (sx == 0 || sy == 0) continue;
                if (sx == sy) concordant++;
                else discordant++;
            }
        }
        double denominator = Math.Sqrt((double)(n0 - tiesX) * (n0 - tiesY));
        return denominator > 0 ? (concordant - discordant) / denominator : double.NaN;
    }

    /// <summary>
    /// Kendall's τ-b within each stratum (e.g. each data set) averaged over the strata with two or more models and a
    /// defined τ; NaN when there is none.
    /// </summary>
    public static double MeanKendall(IReadOnlyList<string> strata, IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        double sum = 0;
        int count = 0;
        foreach (var set in strata.Distinct())
        {
            var index = Enumerable.Range(0, strata.Count).Where(i => strata[i] == set).ToArray();
            if (index.Length < 2) continue;
            double t = KendallTau(index.Select(i => x[i]).ToArray(), index.Select(i => y[i]).ToArray());
            if (!double.IsFinite(t)) continue;
            sum += t;
            count++;
        }
        return count > 0 ? sum / count : double.NaN;
    }

    /// <summary>Spearman's ρ: the Pearson correlation of the ranks (ties get their average rank). NaN when either variable is constant.</summary>
    public static double SpearmanRho(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        Check(x, y);
        return Pearson(Ranks(x), Ranks(y));
    }

    /// <summary>The Pearson correlation; NaN when either variable is constant.</summary>
    public static double Pearson(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        Check(x, y);
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < x.Count; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxx > 0 && syy > 0 ? sxy / Math.Sqrt(sxx * syy) : double.NaN;
    }

    /// <summary>Ranks 1…n, ties sharing their average rank.</summary>
    public static double[] Ranks(IReadOnlyList<double> values)
    {
        var order = Enumerable.Range(0, values.Count).OrderBy(i => values[i]).ToArray();
        var ranks = new double[values.Count];
        for (int start = 0; start < order.Length;)
        {
            int end = start;
            while (end + 1 < order.Length && values[order[end + 1]] == values[order[start]]) end++;
            double average = (start + end) / 2.0 + 1;
            for (int k = start; k <= end; k++) ranks[order[k]] = average;
            start = end + 1;
        }
        return ranks;
    }

    /// <summary>
    /// A statistic with its bootstrap percentile 95% interval: models resampled with replacement
    /// <paramref name="resamples"/> times (seeded); resamples where the statistic is undefined are skipped.
    /// </summary>
    public static Correlation Bootstrap(IReadOnlyList<double> x, IReadOnlyList<double> y, Func<IReadOnlyList<double>, IReadOnlyList<double>, double> statistic, int resamples = 2000, int seed = 0)
    {
        Check(x, y);
        double value = statistic(x, y);
        var rng = new Random(seed);
        var draws = new List<double>(resamples);
        var bx = new double[x.Count];
        var by = new double[x.Count];
        for (int r = 0; r < resamples; r++)
        {
            for (int i = 0; i < x.Count; i++)
            {
                int k = rng.Next(x.Count);
                bx[i] = x[k];
                by[i] = y[k];
            }
            double s = statistic(bx, by);
            if (double.IsFinite(s)) draws.Add(s);
        }
        double p = PermutationPValue(x, y, statistic, seed: seed);
        if (draws.Count == 0) return new Correlation(value, double.NaN, double.NaN, x.Count, p);
        draws.Sort();
        return new Correlation(value, Statistics.Quantile.OfSorted(draws, 0.025), Statistics.Quantile.OfSorted(draws, 0.975), x.Count, p);
    }

    /// <summary>
    /// The two-sided permutation p-value of <paramref name="statistic"/>: the fraction of orderings of y against x
    /// whose |statistic| is at least the observed one (up to 1e-12). All n! orderings for n ≤ <paramref name="exactUpTo"/>;
    /// otherwise <paramref name="permutations"/> seeded random ones, counted as (hits + 1) / (permutations + 1), which
    /// keeps the p-value valid. NaN when the observed statistic is undefined.
    /// </summary>
    public static double PermutationPValue(IReadOnlyList<double> x, IReadOnlyList<double> y, Func<IReadOnlyList<double>, IReadOnlyList<double>, double> statistic,
        int exactUpTo = 8, int permutations = 10_000, int seed = 0)
    {
        Check(x, y);
        double observed = Math.Abs(statistic(x, y));
        if (!double.IsFinite(observed)) return double.NaN;
        var shuffled = y.ToArray();
        int n = shuffled.Length;
        if (n <= exactUpTo)
        {
            long hits = 0, total = 0;
            var index = Enumerable.Range(0, n).ToArray();
            do
            {
                for (int i = 0; i < n; i++) shuffled[i] = y[index[i]];
                double s = Math.Abs(statistic(x, shuffled));
                total++;
                if (double.IsFinite(s) && s >= observed - 1e-12) hits++;
            }
            while (Statistics.StratifiedPermutation.NextPermutation(index));
            return (double)hits / total;
        }
        var rng = new Random(seed * 31 + 7);
        long count = 0;
        for (int r = 0; r < permutations; r++)
        {
            for (int i = n - 1; i > 0; i--)
            {
                int j = rng.Next(i + 1);
                (shuffled[i], shuffled[j]) = (shuffled[j], shuffled[i]);
            }
            double s = Math.Abs(statistic(x, shuffled));
            if (double.IsFinite(s) && s >= observed - 1e-12) count++;
        }
        return (count + 1.0) / (permutations + 1.0);
    }

    /// <summary>
    /// The granulated Kendall coefficient Ψ of Jiang et al. 2020 ("Fantastic generalization measures"):
    /// for each axis, the mean τ over the groups of models that differ only along that axis (all other
    /// axes fixed), then the mean over axes. <paramref name="coordinates"/> gives each model's value on
    /// every axis (as strings). Returns Ψ and the per-axis coefficients; an axis with no group of two or
    /// more models is left out.
    /// </summary>
    public static (double Psi, IReadOnlyDictionary<string, double> PerAxis) GranulatedKendall(
        IReadOnlyList<IReadOnlyDictionary<string, string>> coordinates, IReadOnlyList<double> metric, IReadOnlyList<double> gap)
    {
        if (coordinates.Count != metric.Count || metric.Count != gap.Count) throw new ArgumentException("one coordinate set, metric value and gap per model");
        var axes = coordinates.SelectMany(c => c.Keys).Distinct().OrderBy(a => a, StringComparer.Ordinal).ToList();
        var perAxis = new Dictionary<string, double>();
        foreach (var axis in axes)
        {
            var groups = Enumerable.Range(0, coordinates.Count)
                .GroupBy(i => string.Join("|", axes.Where(a => a != axis).Select(a => coordinates[i].GetValueOrDefault(a, ""))))
                .Where(g => g.Count() >= 2);
            var taus = groups.Select(g => KendallTau(g.Select(i => metric[i]).ToArray(), g.Select(i => gap[i]).ToArray())).Where(double.IsFinite).ToList();
            if (taus.Count > 0) perAxis[axis] = taus.Average();
        }
        return (perAxis.Count > 0 ? perAxis.Values.Average() : double.NaN, perAxis);
    }

    private static void Check(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        if (x.Count != y.Count) throw new ArgumentException($"{x.Count} metric values for {y.Count} gaps");
        if (x.Count < 2) throw new ArgumentException("a rank correlation needs at least two models");
    }
}
