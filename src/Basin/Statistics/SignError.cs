namespace Basin.Statistics;

/// <summary>The sign-error of a measure in one environment (the axis changed × the data set).</summary>
/// <param name="Environment">"axis @ data".</param>
/// <param name="Pairs">Pairs of models differing only along the axis, in this data set.</param>
/// <param name="Kept">Of them, the pairs whose gap difference exceeds its noise.</param>
/// <param name="Error">Mean error over the kept pairs (1 wrong order, ½ a tie within the measure's noise, 0 right); NaN with none kept.</param>
public sealed record EnvironmentSignError(string Environment, int Pairs, int Kept, double Error);

/// <summary>A measure's robust sign-error over environments.</summary>
/// <param name="Mean">Mean of the environments' errors (those with at least the minimum of kept pairs).</param>
/// <param name="Worst">Their maximum: the robust sign-error of Dziugaite et al. 2020.</param>
/// <param name="WorstEnvironment">Where the worst case is.</param>
/// <param name="Kept">Pairs kept, over all environments.</param>
/// <param name="Pairs">Pairs differing in one hyper-parameter, over all environments.</param>
/// <param name="Environments">Every environment, including those with too few kept pairs to count.</param>
/// <param name="MinimumKept">The least number of kept pairs an environment needs to enter the mean and the worst case.</param>
public sealed record SignErrorResult(double Mean, double Worst, string WorstEnvironment, int Kept, int Pairs, IReadOnlyList<EnvironmentSignError> Environments, int MinimumKept);

/// <summary>
/// Dziugaite et al. 2020 ("In search of robust measures of generalization"): over every pair of models that differ in
/// exactly one hyper-parameter (the same data set and seed), keep those whose gap difference exceeds
/// <c>k·√(se_i² + se_j²)</c> (the gaps' own binomial noise, k = 2), and count how often the measure orders them against
/// the gap; an environment is the axis changed × the data set, and the robust score is the worst environment's error. A
/// measure difference within the measure's own standard error (√(se_i² + se_j²); equality for an exact measure) is a
/// tie and counts ½ — a coin's expected error — instead of a vote.
/// </summary>
public static class SignError
{
    /// <summary>
    /// The sign-error of <paramref name="measure"/> against <paramref name="gap"/>. <paramref name="coordinates"/> hold every
    /// hyper-parameter of each model, <paramref name="dataKey"/> its data set and <paramref name="seedKey"/> its seed (both
    /// must be equal within a pair and never count as the axis changed).
    /// </summary>
    public static SignErrorResult Compute(IReadOnlyList<IReadOnlyDictionary<string, string>> coordinates, IReadOnlyList<double> measure, IReadOnlyList<double> measureErrors,
        IReadOnlyList<double> gap, IReadOnlyList<double> gapErrors, string dataKey = "data", string seedKey = "seed", double noiseMultiple = 2, int minimumKept = 3)
    {
        int n = measure.Count;
        if (coordinates.Count != n || measureErrors.Count != n || gap.Count != n || gapErrors.Count != n) throw new ArgumentException("one coordinate set, measure value and error, gap and gap error per model");
        var keys = coordinates.SelectMany(c => c.Keys).Distinct().ToList();
        var pairs = new Dictionary<string, (int Pairs, List<double> Errors)>();
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
            {
                var differ = keys.Where(k => coordinates[i].GetValueOrDefault(k, "") != coordinates[j].GetValueOrDefault(k, "")).ToList();
                if (differ.Count != 1 || differ[0] == dataKey || differ[0] == seedKey) continue;
                string environment = $"{differ[0]} @ {coordinates[i].GetValueOrDefault(dataKey, "")}";
                if (!pairs.TryGetValue(environment, out var entry)) entry = (0, []);
                entry.Pairs++;
                double dg = gap[i] - gap[j];
                if (Math.Abs(dg) > noiseMultiple * Math.Sqrt(Square(gapErrors[i]) + Square(gapErrors[j])))
                {
                    double dm = measure[i] - measure[j];
                    double noise = Math.Sqrt(Square(measureErrors[i]) + Square(measureErrors[j]));
                    entry.Errors.Add(dm == 0 || Math.Abs(dm) <= noise ? 0.5 : Math.Sign(dm) == Math.Sign(dg) ? 0 : 1);
                }
                pairs[environment] = entry;
            }
        var environments = pairs.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => new EnvironmentSignError(p.Key, p.Value.Pairs, p.Value.Errors.Count, p.Value.Errors.Count > 0 ? p.Value.Errors.Average() : double.NaN)).ToList();
        var counted = environments.Where(e => e.Kept >= minimumKept).ToList();
        var worst = counted.OrderByDescending(e => e.Error).FirstOrDefault();
        return new SignErrorResult(counted.Count > 0 ? counted.Average(e => e.Error) : double.NaN, worst?.Error ?? double.NaN, worst?.Environment ?? "",
            environments.Sum(e => e.Kept), environments.Sum(e => e.Pairs), environments, minimumKept);
    }

    private static double Square(double x) => double.IsFinite(x) ? x * x : 0;
}
