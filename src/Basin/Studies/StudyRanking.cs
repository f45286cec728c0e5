using Basin.Estimators;

namespace Basin.Studies;

/// <summary>How well one metric orders the population by its generalization gap, and whether to trust it.</summary>
/// <param name="Metric">The metric id.</param>
/// <param name="TauLoss">Kendall τ against the loss gap.</param>
/// <param name="RhoLoss">Spearman ρ against the loss gap.</param>
/// <param name="TauError">Kendall τ against the error gap.</param>
/// <param name="RhoError">Spearman ρ against the error gap.</param>
/// <param name="NoiseToSpread">The metric's median standard error over its standard deviation across models (NaN when not stochastic).</param>
/// <param name="Seconds">Mean seconds per model.</param>
/// <param name="Granulated">Granulated Kendall Ψ against the error gap when the grid has several axes.</param>
/// <param name="TauTestError">Kendall τ against the test error itself (what a practitioner wants ranked).</param>
/// <param name="TauTestLoss">Kendall τ against the test loss.</param>
/// <param name="PearsonError">Pearson r against the error gap, as seeds 000 and 001 report it.</param>
public sealed record MetricRanking(string Metric, Correlation TauLoss, Correlation RhoLoss, Correlation TauError, Correlation RhoError, double NoiseToSpread, double Seconds, double Granulated,
    Correlation TauTestError, Correlation TauTestLoss, Correlation PearsonError);

/// <summary>The ranking of a study's metrics against its models' generalization gaps, with how far to trust each.</summary>
public static class StudyRanking
{
    /// <summary>
    /// How many pairs of models adjacent in the order of their error gaps differ by less than twice the standard
    /// error of the difference, √(se₁² + se₂²): orderings among them are test-set noise. (0, 0) when the test-set
    /// sizes are unknown.
    /// </summary>
    public static (int WithinNoise, int Pairs) AdjacentGapsWithinNoise(IReadOnlyList<ModelResult> results)
    {
        if (results.Any(r => !double.IsFinite(r.ErrorGapStandardError))) return (0, 0);
        var sorted = results.OrderBy(r => r.ErrorGap).ToList();
        int within = 0;
        for (int i = 1; i < sorted.Count; i++)
        {
            double se = Math.Sqrt(Math.Pow(sorted[i].ErrorGapStandardError, 2) + Math.Pow(sorted[i - 1].ErrorGapStandardError, 2));
            if (sorted[i].ErrorGap - sorted[i - 1].ErrorGap < 2 * se) within++;
        }
        return (within, sorted.Count - 1);
    }

    /// <summary>
    /// The metrics measured on some model that <see cref="Rank"/> leaves out, each with why: not applicable (the reason), or
    /// not a finite number (NaN, ±∞) or missing on the models named. A report names them rather than dropping them unseen.
    /// </summary>
    public static List<(string Metric, string Why)> Unranked(IReadOnlyList<ModelResult> results)
    {
        var unranked = new List<(string, string)>();
        foreach (var id in results.SelectMany(r => r.Metrics.Select(m => m.Id)).Distinct())
        {
            var values = results.Select(r => (r.Name, Metric: r.Metrics.FirstOrDefault(m => m.Id == id))).ToList();
            if (values.All(v => v.Metric is not null && double.IsFinite(v.Metric.Value))) continue;
            if (values.All(v => v.Metric?.Settings.ContainsKey("not_applicable") == true))
            {
                unranked.Add((id, "not applicable: " + values[0].Metric!.Settings["not_applicable"]));
                continue;
            }
            var bad = values.Where(v => v.Metric is null || !double.IsFinite(v.Metric.Value)).ToList();
            string Of(string name, Metrics.MetricResult? m) => m is null ? $"{name} (missing)" : $"{name} ({m.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)})";
            unranked.Add((id, $"no finite value on {bad.Count} of {results.Count} models: {string.Join(", ", bad.Take(5).Select(v => Of(v.Name, v.Metric)))}{(bad.Count > 5 ? ", …" : "")}"));
        }
        return unranked;
    }

    /// <summary>Ranks every metric measured on all <paramref name="results"/>.</summary>
    public static List<MetricRanking> Rank(IReadOnlyList<ModelResult> results)
    {
        // Ranked: the metrics every model has a finite value for (not "not applicable", not failed).
        var ids = results[0].Metrics.Select(m => m.Id)
            .Where(id => results.All(r => r.Metrics.Any(m => m.Id == id && double.IsFinite(m.Value)))).ToList();
        var lossGap = results.Select(r => r.LossGap).ToArray();
        var errorGap = results.Select(r => r.ErrorGap).ToArray();
        var testError = results.Select(r => r.TestError).ToArray();
        var testLoss = results.Select(r => r.TestLoss).ToArray();
        var coordinates = results.Select(r => (IReadOnlyDictionary<string, string>)r.Coordinates.Where(c => c.Key != "seed").ToDictionary()).ToList();
        bool grid = coordinates.SelectMany(c => c.Keys).Distinct().Count() > 1;
        var rankings = new List<MetricRanking>();
        foreach (var id in ids)
        {
            var values = results.Select(r => r.Metrics.First(m => m.Id == id)).ToList();
            var x = values.Select(v => v.Value).ToArray();
            var errors = values.Select(v => v.StandardError).Where(double.IsFinite).ToList();
            double spread = RunningStatistics.Of(x).StandardDeviation;
            double noise = errors.Count == values.Count && spread > 0 ? Statistics.Quantile.Median(errors) / spread : double.NaN;
            rankings.Add(new MetricRanking(id,
                Ranking.Bootstrap(x, lossGap, Ranking.KendallTau), Ranking.Bootstrap(x, lossGap, Ranking.SpearmanRho),
                Ranking.Bootstrap(x, errorGap, Ranking.KendallTau), Ranking.Bootstrap(x, errorGap, Ranking.SpearmanRho),
                noise, values.Average(v => v.Seconds), grid ? Ranking.GranulatedKendall(coordinates, x, errorGap).Psi : double.NaN,
                Ranking.Bootstrap(x, testError, Ranking.KendallTau), Ranking.Bootstrap(x, testLoss, Ranking.KendallTau), Ranking.Bootstrap(x, errorGap, Ranking.Pearson)));
        }
        return rankings;
    }
}
