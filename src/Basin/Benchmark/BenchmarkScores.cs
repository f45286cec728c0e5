using Basin.Estimators;
using Basin.Metrics;
using Basin.Statistics;
using Basin.Studies;

namespace Basin.Benchmark;

/// <summary>Everything the benchmark says about one metric against the held-out error gap.</summary>
/// <param name="Metric">The metric id.</param>
/// <param name="Role">Measure, baseline or oracle.</param>
/// <param name="Tau">Kendall τ-b within each data set, averaged over data sets.</param>
/// <param name="TauP">Its two-sided permutation p-value (gaps shuffled within data sets).</param>
/// <param name="TauQ">Benjamini–Hochberg q over every scored row × both targets.</param>
/// <param name="TauTestSplit">τ against the test-split error gap alone (the second target).</param>
/// <param name="TauTestSplitQ">Its q-value, in the same family.</param>
/// <param name="Psi">Granulated τ Ψ (Jiang eq. 4) within each data set, averaged.</param>
/// <param name="Cmi">Jiang's K(μ): the minimum normalised conditional mutual information over conditioning sets of ≤ 2 axes, averaged over data sets.</param>
/// <param name="CmiConditioning">The minimising conditioning set in the data set where K is smallest.</param>
/// <param name="Sign">Dziugaite's sign-error over one-axis pairs whose gaps differ beyond noise.</param>
/// <param name="WithinGridTau">Pooled τ over pairs of seeds at the same grid point (NaN with one seed).</param>
/// <param name="WithinGridP">Its permutation p-value (gaps shuffled within grid points): does the measure order models beyond the knobs?</param>
/// <param name="WithinGridQ">Benjamini–Hochberg q over the scored rows.</param>
/// <param name="VersusBaseline">Paired hierarchical bootstrap of τ(this) − τ(best baseline); null for baselines.</param>
/// <param name="VersusBaselineQ">Benjamini–Hochberg q of that comparison over the compared rows.</param>
/// <param name="NoiseToSpread">Median own standard error over the standard deviation across models (NaN for exact metrics).</param>
/// <param name="Seconds">Mean seconds per model.</param>
/// <param name="Trustworthy">Worst-case sign-error below 0.5 and τ above the best baseline's on the paired test (q &lt; 0.05); measures only.</param>
/// <param name="Why">Why not, in a few words (empty when trustworthy).</param>
public sealed record MetricVerdict(string Metric, MetricRole Role, double Tau, double TauP, double TauQ, double TauTestSplit, double TauTestSplitQ, double Psi, double Cmi,
    string CmiConditioning, SignErrorResult Sign, double WithinGridTau, double WithinGridP, double WithinGridQ, BootstrapComparison? VersusBaseline, double VersusBaselineQ,
    double NoiseToSpread, double Seconds, bool Trustworthy, string Why);

/// <summary>The benchmark's verdict over a population.</summary>
/// <param name="Models">Models with a result.</param>
/// <param name="Excluded">Models left out of every score, with why (missed the criterion).</param>
/// <param name="DataSets">The environments' data sets.</param>
/// <param name="Axes">The hyper-parameters varied.</param>
/// <param name="BestBaseline">The baseline with the largest |τ|, every measure's bar; "−id" when it ordered the gaps in reverse and is compared negated.</param>
/// <param name="Rows">One per scored metric.</param>
/// <param name="NotScored">Metrics left out, with why (not finite on every included model).</param>
/// <param name="GapRange">The smallest and largest held-out gap (pp) of the included models.</param>
/// <param name="GapNoise">The median binomial standard error of a gap (pp).</param>
public sealed record BenchmarkVerdict(int Models, IReadOnlyList<(string Model, string Why)> Excluded, IReadOnlyList<string> DataSets, IReadOnlyList<string> Axes,
    string BestBaseline, IReadOnlyList<MetricVerdict> Rows, IReadOnlyList<(string Metric, string Why)> NotScored, (double Low, double High) GapRange, double GapNoise);

/// <summary>
/// Scores every metric of a benchmark population the way the field does (studies.md, "The benchmark", revised
/// 2026-12-03): Kendall τ and granulated τ Ψ (Jiang et al. 2020 eq. 4), conditional mutual information (Jiang §4),
/// the robust sign-error (Dziugaite et al. 2020), within-grid-point permutation tests, Benjamini–Hochberg across metrics ×
/// targets, and a paired hierarchical bootstrap against the best baseline that also draws the metrics' and the gaps' own
/// noise. The target is fixed: <see cref="BenchmarkDesign.Target"/>; the test-split gap is reported beside it.
/// </summary>
public static class BenchmarkScores
{
    /// <summary>The coordinate that names a model's data set.</summary>
    public const string DataKey = "data";

    /// <summary>The coordinate that names a model's seed.</summary>
    public const string SeedKey = "seed";

    /// <summary>Scores <paramref name="results"/>; models that missed their criterion are excluded and listed.</summary>
    /// <param name="results">The population.</param>
    /// <param name="permutations">Permutations per p-value.</param>
    /// <param name="draws">Bootstrap draws per paired comparison.</param>
    /// <exception cref="ArgumentException">Fewer than four models met the criterion.</exception>
    public static BenchmarkVerdict Score(IReadOnlyList<ModelResult> results, int permutations = 2000, int draws = 1000)
    {
        var excluded = results.Where(r => r.HitCap).Select(r => (r.Name, $"stopped at the epoch cap ({r.Log.Count} epochs) at train loss {r.Log[^1].TrainLoss:G3}, criterion {r.Config.Until}")).ToList();
        var models = results.Where(r => !r.HitCap).ToList();
        if (models.Count < 4) throw new ArgumentException($"{models.Count} of {results.Count} models met the training criterion; a verdict needs at least four");
        var coordinates = models.Select(m => (IReadOnlyDictionary<string, string>)m.Coordinates).ToList();
        var data = models.Select(m => m.Coordinates.GetValueOrDefault(DataKey, "")).ToArray();
        var dataSets = data.Distinct().ToList();
        var axes = coordinates.SelectMany(c => c.Keys).Distinct().Where(k => k is not (DataKey or SeedKey)).ToList();
        var axisCoordinates = coordinates.Select(c => (IReadOnlyDictionary<string, string>)c.Where(kv => axes.Contains(kv.Key)).ToDictionary()).ToList();
        var gridPoint = coordinates.Select(c => string.Join("|", c.Where(kv => kv.Key != SeedKey).OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Value))).ToArray();
        var gap = models.Select(m => m.HeldOutErrorGap).ToArray();
        var gapError = models.Select(m => m.HeldOutErrorGapStandardError).ToArray();
        var testGap = models.Select(m => m.ErrorGap).ToArray();
        bool seeds = gridPoint.GroupBy(g => g).Any(g => g.Count() > 1);

        var registry = MetricRegistry.All.ToDictionary(m => m.Id);
        var notScored = new List<(string, string)>();
        var scored = new List<(string Id, MetricRole Role, double[] X, double[] Se, double Seconds)>();
        foreach (var id in models[0].Metrics.Select(m => m.Id))
        {
            var values = models.Select(m => m.Metrics.FirstOrDefault(x => x.Id == id)).ToList();
            int missing = values.Count(v => v is null || !double.IsFinite(v.Value));
            if (missing > 0)
            {
                notScored.Add((id, $"not finite on {missing} of {models.Count} models"));
                continue;
            }
            var role = registry.TryGetValue(id, out var metric) ? metric.Role : MetricRole.Measure;
            var x = values.Select(v => v!.Value).ToArray();
            // The oracle rows read the benchmark's own target: the held-out gap plus noise of 1 or 5 pp, seeded by the model's name.
            if (metric is NoisyOracle oracle) x = models.Select((m, i) => gap[i] + oracle.PercentagePoints * NoisyOracle.Noise(m.Name, oracle.PercentagePoints)).ToArray();
            scored.Add((id, role, x, values.Select(v => double.IsFinite(v!.StandardError) ? v.StandardError : 0).ToArray(), values.Average(v => v!.Seconds)));
        }

        var partial = new List<(string Id, MetricRole Role, double Tau, double TauP, double TauTest, double TauTestP, double Psi, double Cmi, string CmiSet, SignErrorResult Sign, double WithinTau, double WithinP, double Noise, double Seconds)>();
        foreach (var (id, role, x, se, seconds) in scored)
        {
            double tau = Ranking.MeanKendall(data, x, gap);
            double tauP = StratifiedPermutation.PValue(data, x, gap, (a, b) => Ranking.MeanKendall(data, a, b), permutations);
            double tauTest = Ranking.MeanKendall(data, x, testGap);
            double tauTestP = StratifiedPermutation.PValue(data, x, testGap, (a, b) => Ranking.MeanKendall(data, a, b), permutations);
            var psis = new List<double>();
            var cmis = new List<ConditionalInformation>();
            foreach (var set in dataSets)
            {
                var index = Enumerable.Range(0, models.Count).Where(i => data[i] == set).ToArray();
                if (index.Length < 2) continue;
                var c = index.Select(i => axisCoordinates[i]).ToList();
                var xs = index.Select(i => x[i]).ToArray();
                var gs = index.Select(i => gap[i]).ToArray();
                double psi = Ranking.GranulatedKendall(c, xs, gs).Psi;
                if (double.IsFinite(psi)) psis.Add(psi);
                var cmi = ConditionalMutualInformation.Minimum(c, axes, xs, index.Select(i => se[i]).ToArray(), gs);
                if (double.IsFinite(cmi.Value)) cmis.Add(cmi);
            }
            var sign = SignError.Compute(coordinates, x, se, gap, gapError, DataKey, SeedKey);
            double withinTau = seeds ? StratifiedPermutation.PooledKendall(gridPoint, x, gap) : double.NaN;
            double withinP = seeds ? StratifiedPermutation.PValue(gridPoint, x, gap, (a, b) => StratifiedPermutation.PooledKendall(gridPoint, a, b), permutations) : double.NaN;
            double spread = RunningStatistics.Of(x).StandardDeviation;
            double noise = se.Any(s => s > 0) && spread > 0 ? Quantile.Median(se) / spread : double.NaN;
            partial.Add((id, role, tau, tauP, tauTest, tauTestP, psis.Count > 0 ? psis.Average() : double.NaN, cmis.Count > 0 ? cmis.Average(c => c.Value) : double.NaN,
                cmis.Count > 0 ? string.Join("+", cmis.MinBy(c => c.Value)!.Conditioning) : "", sign, withinTau, withinP, noise, seconds));
        }

        // The bar (BaselineBar: the largest |τ|, oriented after the fact); every other row is compared with it on the same draws.
        var byId = scored.ToDictionary(s => s.Id);
        var bar = BaselineBar.Choose(partial.Where(p => p.Role == MetricRole.Baseline).Select(p => (p.Id, p.Tau, (IReadOnlyList<double>)byId[p.Id].X, (IReadOnlyList<double>)byId[p.Id].Se)));
        string bestName = bar?.Name ?? "";
        var comparisons = new Dictionary<string, BootstrapComparison>();
        if (bar is not null)
            foreach (var p in partial.Where(p => p.Role != MetricRole.Baseline))
                comparisons[p.Id] = bar.Compare(data, gridPoint, gap, gapError, byId[p.Id].X, byId[p.Id].Se, draws);

        // Benjamini–Hochberg: τ against both targets as one family of (rows × 2) tests; within-grid tests; paired comparisons.
        var tauQ = BenjaminiHochberg.Adjust([.. partial.Select(p => p.TauP), .. partial.Select(p => p.TauTestP)]);
        var withinQ = BenjaminiHochberg.Adjust(partial.Select(p => p.WithinP).ToArray());
        var comparedIds = comparisons.Keys.ToList();
        var versusQ = BenjaminiHochberg.Adjust(comparedIds.Select(id => comparisons[id].PValue).ToArray());
        var rows = new List<MetricVerdict>();
        for (int k = 0; k < partial.Count; k++)
        {
            var p = partial[k];
            var versus = comparisons.GetValueOrDefault(p.Id);
            double vq = versus is null ? double.NaN : versusQ[comparedIds.IndexOf(p.Id)];
            bool robust = p.Sign.Worst < 0.5;
            bool beats = versus is not null && versus.Difference > 0 && vq < 0.05;
            string why = p.Role switch
            {
                MetricRole.Baseline => "baseline",
                MetricRole.Oracle => "oracle (reads the target)",
                _ when !double.IsFinite(p.Sign.Worst) => $"no environment with ≥ {p.Sign.MinimumKept} pairs beyond noise",
                _ when !robust && !beats => $"worst sign-error {p.Sign.Worst:F2} ≥ 0.5 ({p.Sign.WorstEnvironment}); does not beat {bestName}",
                _ when !robust => $"worst sign-error {p.Sign.Worst:F2} ≥ 0.5 ({p.Sign.WorstEnvironment})",
                _ when !beats => $"does not beat {bestName} on the paired test",
                _ => "",
            };
            rows.Add(new MetricVerdict(p.Id, p.Role, p.Tau, p.TauP, tauQ[k], p.TauTest, tauQ[partial.Count + k], p.Psi, p.Cmi, p.CmiSet, p.Sign,
                p.WithinTau, p.WithinP, withinQ[k], versus, vq, p.Noise, p.Seconds, p.Role == MetricRole.Measure && robust && beats, why));
        }
        return new BenchmarkVerdict(results.Count, excluded, dataSets, axes, bestName, rows, notScored, (gap.Min(), gap.Max()), Quantile.Median(gapError));
    }
}
