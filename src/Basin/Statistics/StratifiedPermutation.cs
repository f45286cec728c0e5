namespace Basin.Statistics;

/// <summary>
/// Permutation tests that keep strata fixed: the y values are shuffled only among models of the same stratum, so the
/// null hypothesis is "within each stratum, x says nothing about y" — with strata = the levels of every hyper-parameter
/// (the grid point), "does the measure order models beyond what the knobs already do?".
/// </summary>
public static class StratifiedPermutation
{
    /// <summary>
    /// The pooled within-stratum Kendall statistic: <c>Σ_s (C_s − D_s) / Σ_s n_s(n_s − 1)/2</c>, pairs taken only inside a
    /// stratum (τ-a pooled over strata; a pair tied in x or y counts 0). NaN when no stratum has two models.
    /// </summary>
    public static double PooledKendall(IReadOnlyList<string> strata, IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        Check(strata, x, y);
        long score = 0, pairs = 0;
        for (int i = 0; i < x.Count; i++)
            for (int j = i + 1; j < x.Count; j++)
            {
                if (strata[i] != strata[j]) continue;
                pairs++;
                score += Math.Sign(x[i] - x[j]) * Math.Sign(y[i] - y[j]);
            }
        return pairs > 0 ? (double)score / pairs : double.NaN;
    }

    /// <summary>
    /// The two-sided p-value of <paramref name="statistic"/>: the fraction of within-stratum shuffles of y whose
    /// |statistic| is at least the observed one (up to 1e-12). Every shuffle when there are at most
    /// <paramref name="exactUpTo"/> of them (Π_s n_s!); otherwise <paramref name="permutations"/> seeded ones, counted as
    /// (hits + 1)/(permutations + 1). NaN when the observed statistic is undefined.
    /// </summary>
    public static double PValue(IReadOnlyList<string> strata, IReadOnlyList<double> x, IReadOnlyList<double> y,
        Func<IReadOnlyList<double>, IReadOnlyList<double>, double> statistic, int permutations = 10_000, int seed = 0, long exactUpTo = 40_320)
    {
        Check(strata, x, y);
        double observed = Math.Abs(statistic(x, y));
        if (!double.IsFinite(observed)) return double.NaN;
        var groups = Enumerable.Range(0, x.Count).GroupBy(i => strata[i]).Select(g => g.ToArray()).Where(g => g.Length > 1).ToArray();
        double total = 1;
        foreach (var g in groups) for (int k = 2; k <= g.Length; k++) total *= k;
        var shuffled = y.ToArray();
        if (total <= exactUpTo)
        {
            long hits = 0, count = 0;
            void Recurse(int level)
            {
                if (level == groups.Length)
                {
                    count++;
                    double s = Math.Abs(statistic(x, shuffled));
                    if (double.IsFinite(s) && s >= observed - 1e-12) hits++;
                    return;
                }
                var g = groups[level];
                var index = Enumerable.Range(0, g.Length).ToArray();
                do
                {
                    for (int k = 0; k < g.Length; k++) shuffled[g[k]] = y[g[index[k]]];
                    Recurse(level + 1);
                }
                while (NextPermutation(index));
                for (int k = 0; k < g.Length; k++) shuffled[g[k]] = y[g[k]];
            }
            Recurse(0);
            return (double)hits / count;
        }
        var rng = new Random(seed * 31 + 17);
        long found = 0;
        for (int r = 0; r < permutations; r++)
        {
            foreach (var g in groups)
                for (int k = g.Length - 1; k > 0; k--)
                {
                    int j = rng.Next(k + 1);
                    (shuffled[g[k]], shuffled[g[j]]) = (shuffled[g[j]], shuffled[g[k]]);
                }
            double s = Math.Abs(statistic(x, shuffled));
            if (double.IsFinite(s) && s >= observed - 1e-12) found++;
        }
        return (found + 1.0) / (permutations + 1.0);
    }

    /// <summary>Steps <paramref name="a"/> to its next lexicographic permutation; false after the last.</summary>
    internal static bool NextPermutation(int[] a)
    {
        int i = a.Length - 2;
        while (i >= 0 && a[i] >= a[i + 1]) i--;
        if (i < 0) return false;
        int j = a.Length - 1;
        while (a[j] <= a[i]) j--;
        (a[i], a[j]) = (a[j], a[i]);
        Array.Reverse(a, i + 1, a.Length - i - 1);
        return true;
    }

    private static void Check(IReadOnlyList<string> strata, IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        if (strata.Count != x.Count || x.Count != y.Count) throw new ArgumentException($"one stratum, x and y per model: got {strata.Count}, {x.Count}, {y.Count}");
    }
}
