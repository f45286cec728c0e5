namespace Basin.Statistics;

/// <summary>Jiang et al.'s conditional mutual information of a measure: the minimum and the conditioning set that gave it.</summary>
/// <param name="Value">K(μ) = min over conditioning sets S of Î(V_μ, V_g | U_S), in [0, 1]; NaN when no set had two gap signs.</param>
/// <param name="Conditioning">The axes of the minimising set (empty: no conditioning).</param>
/// <param name="PerSet">Î for every set tried, keyed by its axes joined with '+' ("" for the empty set).</param>
public sealed record ConditionalInformation(double Value, IReadOnlyList<string> Conditioning, IReadOnlyDictionary<string, double> PerSet);

/// <summary>
/// The conditional-independence score of Jiang et al. 2020 §4 ("Fantastic generalization measures"): over ordered pairs
/// (i, j) of models, V_g = sign(g_i − g_j) of the gap and V_μ = sign(μ_i − μ_j) of the measure; U_S = the pair of values
/// (θ_i[a], θ_j[a]) of every axis a in S. Then
/// <c>Î(V_μ, V_g | U_S) = I(V_μ, V_g | U_S) / H(V_g | U_S)</c> with <c>I = Σ_u p(u) Σ p(v_μ, v_g | u) ln(p(v_μ, v_g | u) / (p(v_μ|u) p(v_g|u)))</c>
/// and <c>H(V_g|U_S) = Σ_u p(u) H(V_g | U_S = u)</c>, and <c>K(μ) = min_{|S| ≤ 2} Î</c>: how much the measure says about
/// the gap's order that the hyper-parameters in the least favourable set of two do not already say. 1 for a measure that
/// orders every pair like the gap, 0 for one independent of it given the knobs.
/// </summary>
/// <remarks>
/// Pairs tied in the gap carry no sign and are left out. A pair whose measure difference lies within the measure's own
/// standard error (√(se_i² + se_j²); equality for an exact measure) is a tie: it adds ½ to each measure sign, as a coin
/// would. Sets whose conditional entropy H(V_g|U_S) is zero (the knobs in S fix every gap sign) are skipped.
/// </remarks>
public static class ConditionalMutualInformation
{
    /// <summary>K(μ): the minimum of <see cref="Normalized"/> over every set of at most <paramref name="maxSetSize"/> of <paramref name="axes"/>.</summary>
    public static ConditionalInformation Minimum(IReadOnlyList<IReadOnlyDictionary<string, string>> coordinates, IReadOnlyList<string> axes,
        IReadOnlyList<double> measure, IReadOnlyList<double> measureErrors, IReadOnlyList<double> gap, int maxSetSize = 2)
    {
        var sets = new List<string[]> { Array.Empty<string>() };
        for (int size = 1; size <= maxSetSize; size++) sets.AddRange(Subsets(axes.ToArray(), size));
        var perSet = new Dictionary<string, double>();
        double best = double.NaN;
        string[] bestSet = [];
        foreach (var set in sets)
        {
            double value = Normalized(coordinates, set, measure, measureErrors, gap);
            perSet[string.Join("+", set)] = value;
            if (double.IsFinite(value) && !(value >= best)) (best, bestSet) = (value, set);
        }
        return new ConditionalInformation(best, bestSet, perSet);
    }

    /// <summary>Î(V_μ, V_g | U_S) for the set <paramref name="conditioning"/>; NaN when H(V_g | U_S) = 0 or no pair has a gap sign.</summary>
    public static double Normalized(IReadOnlyList<IReadOnlyDictionary<string, string>> coordinates, IReadOnlyList<string> conditioning,
        IReadOnlyList<double> measure, IReadOnlyList<double> measureErrors, IReadOnlyList<double> gap)
    {
        int n = measure.Count;
        if (coordinates.Count != n || measureErrors.Count != n || gap.Count != n) throw new ArgumentException("one coordinate set, measure value, measure error and gap per model");
        // cells[u] = counts of (V_g, V_μ) ∈ {+,−}²: index 2·g + m, g = 0 for V_g = +.
        var cells = new Dictionary<string, double[]>();
        double total = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                if (i == j || gap[i] == gap[j]) continue;
                int g = gap[i] > gap[j] ? 0 : 1;
                string key = string.Join("|", conditioning.Select(a => coordinates[i].GetValueOrDefault(a, "") + "→" + coordinates[j].GetValueOrDefault(a, "")));
                if (!cells.TryGetValue(key, out var cell)) cells[key] = cell = new double[4];
                double d = measure[i] - measure[j];
                double noise = Math.Sqrt(Square(measureErrors[i]) + Square(measureErrors[j]));
                if (d == 0 || Math.Abs(d) <= noise)
                {
                    cell[2 * g] += 0.5;
                    cell[2 * g + 1] += 0.5;
                }
                else cell[2 * g + (d > 0 ? 0 : 1)] += 1;
                total++;
            }
        if (total == 0) return double.NaN;
        double information = 0, entropy = 0;
        foreach (var cell in cells.Values)
        {
            double count = cell.Sum();
            double pu = count / total;
            double g0 = (cell[0] + cell[1]) / count, g1 = 1 - g0;
            double m0 = (cell[0] + cell[2]) / count, m1 = 1 - m0;
            entropy += pu * (H(g0) + H(g1));
            for (int g = 0; g < 2; g++)
                for (int m = 0; m < 2; m++)
                {
                    double joint = cell[2 * g + m] / count;
                    if (joint > 0) information += pu * joint * Math.Log(joint / ((g == 0 ? g0 : g1) * (m == 0 ? m0 : m1)));
                }
        }
        return entropy > 1e-15 ? Math.Max(0, information) / entropy : double.NaN;
    }

    private static double H(double p) => p > 0 ? -p * Math.Log(p) : 0;

    private static double Square(double x) => double.IsFinite(x) ? x * x : 0;

    private static IEnumerable<string[]> Subsets(string[] items, int size)
    {
        if (size == 0) { yield return []; yield break; }
        for (int i = 0; i <= items.Length - size; i++)
            foreach (var rest in Subsets(items[(i + 1)..], size - 1))
                yield return [items[i], .. rest];
    }
}
