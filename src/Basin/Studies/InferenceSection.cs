using System.Text;
using Basin.Metrics;
using Basin.Statistics;
using static Basin.Studies.StudyReport;

namespace Basin.Studies;

/// <summary>
/// Honest inference for a study (studies.md, "Inference", revised 2026-12-03): Benjamini–Hochberg q-values across every
/// ranked metric × the four targets (loss gap, error gap, test error, test loss); a permutation test within axis levels
/// (gaps shuffled only among the seeds of one grid point: does the metric order models beyond what the knob does?); and,
/// for every measure, a paired bootstrap of τ(measure) − τ(best baseline) against the error gap that resamples grid
/// points, then seeds, and draws each metric's and each gap's own noise. The baseline and oracle rows are marked.
/// </summary>
public sealed class InferenceSection : IReportSection
{
    /// <inheritdoc />
    public void Write(StringBuilder md, ReportInput input)
    {
        var results = input.Results;
        var rankings = input.Rankings;
        if (rankings.Count == 0 || results.Count < 4) return;
        var roles = MetricRegistry.All.ToDictionary(m => m.Id, m => m.Role);
        MetricRole Role(string id) => roles.GetValueOrDefault(id, MetricRole.Measure);
        var q = BenjaminiHochberg.Adjust([.. rankings.Select(r => r.TauLoss.PValue), .. rankings.Select(r => r.TauError.PValue), .. rankings.Select(r => r.TauTestError.PValue), .. rankings.Select(r => r.TauTestLoss.PValue)]);
        int n = rankings.Count;
        var level = results.Select(r => string.Join("|", r.Coordinates.Where(c => c.Key != "seed").OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => c.Value))).ToArray();
        bool seeds = level.GroupBy(l => l).Any(g => g.Count() > 1);
        var gap = results.Select(r => r.ErrorGap).ToArray();
        var gapError = results.Select(r => double.IsFinite(r.ErrorGapStandardError) ? r.ErrorGapStandardError : 0).ToArray();
        var within = rankings.Select<MetricRanking, (double Tau, double P)>(r =>
        {
            if (!seeds) return (double.NaN, double.NaN);
            var x = results.Select(m => m.Value(r.Metric)).ToArray();
            return (StratifiedPermutation.PooledKendall(level, x, gap), StratifiedPermutation.PValue(level, x, gap, (a, b) => StratifiedPermutation.PooledKendall(level, a, b), 2000));
        }).ToList();
        var withinQ = BenjaminiHochberg.Adjust(within.Select(w => w.P).ToArray());
        // The bar (BaselineBar: the largest |τ| against the error gap, oriented after the fact); results saved before the
        // baselines were registered (2026-12-03) still carry each model's final training loss and error, which stand in.
        var candidates = rankings.Where(r => Role(r.Metric) == MetricRole.Baseline).Select(r => Candidate(r.Metric, r.TauError.Value, Values(results, r.Metric))).ToList();
        if (candidates.Count == 0)
        {
            var zeros = new double[results.Count];
            var loss = results.Select(r => r.TrainLoss).ToArray();
            var error = results.Select(r => r.TrainError).ToArray();
            candidates.Add(Candidate("train loss (final log)", Ranking.KendallTau(loss, gap), (loss, zeros)));
            candidates.Add(Candidate("train error (final log)", Ranking.KendallTau(error, gap), (error, zeros)));
        }
        var best = BaselineBar.Choose(candidates);
        var versus = new Dictionary<string, BootstrapComparison>();
        if (best is not null)
        {
            var strata = results.Select(_ => "").ToArray();
            foreach (var r in rankings.Where(r => Role(r.Metric) == MetricRole.Measure))
            {
                var (values, errors) = Values(results, r.Metric);
                versus[r.Metric] = best.Compare(strata, level, gap, gapError, values, errors, 1000);
            }
        }
        var ids = versus.Keys.ToList();
        var versusQ = BenjaminiHochberg.Adjust(ids.Select(id => versus[id].PValue).ToArray());

        md.AppendLine();
        md.AppendLine("## Inference: corrected, within levels, against the best baseline");
        md.AppendLine();
        md.AppendLine($"q: Benjamini–Hochberg over the {n} ranked rows × 4 targets (loss gap, error gap, test error, test loss). Within levels: pooled τ over pairs of seeds at the same grid point, p with the gaps shuffled only within grid points{(seeds ? "" : " (one seed per grid point here: not testable)")}. " +
            (best is not { } b ? "No baseline has a τ (constant over the population): no paired comparison." : $"Best baseline against the error gap: **{b.Name}** (τ = {Signed(b.Tau)}; the baseline with the largest |τ|, negated when it ordered the gaps in reverse: oriented after the fact, which only raises the bar); each measure's τ − that τ by a paired bootstrap (grid points, then seeds, with the metrics' and gaps' own noise), q over the measures."));
        md.AppendLine();
        md.AppendLine("| metric | role | τ (error gap) | q | within-level τ | p | q | τ − best baseline [95%] | q |");
        md.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        for (int k = 0; k < n; k++)
        {
            var r = rankings[k];
            string cmp = versus.TryGetValue(r.Metric, out var v) ? $"{Signed(v.Difference)} [{Signed(v.Lower)}, {Signed(v.Upper)}] | {P(versusQ[ids.IndexOf(r.Metric)])}" : "– | –";
            md.AppendLine($"| {r.Metric} | {Role(r.Metric).ToString().ToLowerInvariant()} | {Signed(r.TauError.Value)} | {P(q[n + k])} | {Signed(within[k].Tau)} | {P(within[k].P)} | {P(withinQ[k])} | {cmp} |");
        }
        md.AppendLine();
    }

    private static (string, double, IReadOnlyList<double>, IReadOnlyList<double>) Candidate(string name, double tau, (double[] Value, double[] Error) values) =>
        (name, tau, values.Value, values.Error);

    private static (double[] Value, double[] Error) Values(IReadOnlyList<ModelResult> results, string id) =>
        (results.Select(r => r.Value(id)).ToArray(), results.Select(r => r.Metrics.FirstOrDefault(m => m.Id == id)?.StandardError ?? 0).Select(e => double.IsFinite(e) ? e : 0).ToArray());
}
