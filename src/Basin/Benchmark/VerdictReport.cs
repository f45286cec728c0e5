using System.Globalization;
using System.Text;
using System.Text.Json;
using Basin.IO;
using Basin.Metrics;
using Basin.Studies;

namespace Basin.Benchmark;

/// <summary>
/// The benchmark's verdict as text: a terminal table, <c>verdict.md</c> (the table, the excluded models, the environments'
/// pair counts, how to read it), <c>verdict.json</c> and the population's <c>results.csv</c>. Rebuilt from saved results
/// alone; the same results give the same files.
/// </summary>
public static class VerdictReport
{
    /// <summary>Writes verdict.md, verdict.json and results.csv into <paramref name="folder"/>, each atomically, after all three are made.</summary>
    public static void Write(BenchmarkVerdict verdict, StudySpec spec, IReadOnlyList<ModelResult> results, string folder, string command)
    {
        string md = Markdown(verdict, spec, results, command);
        string json = JsonSerializer.Serialize(new
        {
            target = BenchmarkDesign.Target, verdict.Models, excluded = verdict.Excluded.Select(e => new { model = e.Model, why = e.Why }), data_sets = verdict.DataSets, verdict.Axes,
            best_baseline = verdict.BestBaseline, not_scored = verdict.NotScored.Select(n => new { metric = n.Metric, why = n.Why }),
            rows = verdict.Rows.Select(r => new
            {
                r.Metric, role = r.Role.ToString().ToLowerInvariant(), tau = N(r.Tau), tau_p = N(r.TauP), tau_q = N(r.TauQ), tau_test_split = N(r.TauTestSplit), tau_test_split_q = N(r.TauTestSplitQ),
                psi = N(r.Psi), cmi = N(r.Cmi), cmi_conditioning = r.CmiConditioning, sign_error_mean = N(r.Sign.Mean), sign_error_worst = N(r.Sign.Worst), sign_error_worst_environment = r.Sign.WorstEnvironment,
                pairs_kept = r.Sign.Kept, pairs = r.Sign.Pairs, sign_error_environments = r.Sign.Environments.Select(e => new { e.Environment, e.Pairs, e.Kept, error = N(e.Error) }), within_grid_tau = N(r.WithinGridTau), within_grid_p = N(r.WithinGridP), within_grid_q = N(r.WithinGridQ),
                versus_baseline = r.VersusBaseline is { } v ? new { difference = N(v.Difference), lower = N(v.Lower), upper = N(v.Upper), p = N(v.PValue), q = N(r.VersusBaselineQ) } : null,
                noise_to_spread = N(r.NoiseToSpread), seconds = N(r.Seconds), r.Trustworthy, why = r.Why,
            }),
        }, StudySpec.Options);
        string csv = StudyReport.Csv(results);
        Directory.CreateDirectory(folder);
        AtomicFile.WriteAllText(Path.Combine(folder, "results.csv"), csv);
        AtomicFile.WriteAllText(Path.Combine(folder, "verdict.json"), json);
        AtomicFile.WriteAllText(Path.Combine(folder, "verdict.md"), md);
    }

    /// <summary>The verdict table as plain text for the terminal: oracle rows first (what a τ means), then baselines, then measures by τ.</summary>
    public static string Table(BenchmarkVerdict verdict)
    {
        var text = new StringBuilder();
        text.AppendLine($"{"metric",-36} {"role",-8} {"τ",6} {"q",7} {"Ψ",6} {"CMI",5} {"sign err",8} {"worst",6} {"pairs",9} {"vs best baseline",17} {"noise",6}  verdict");
        foreach (var r in Ordered(verdict))
        {
            string versus = r.VersusBaseline is { } v ? $"{Signed(v.Difference)} q {P(r.VersusBaselineQ)}" : "";
            string verdictText = r.Role != MetricRole.Measure ? "" : r.Trustworthy ? "TRUSTWORTHY" : "not trustworthy";
            text.AppendLine($"{r.Metric,-36} {Role(r.Role),-8} {Signed(r.Tau),6} {P(r.TauQ),7} {Signed(r.Psi),6} {F2(r.Cmi),5} {F2(r.Sign.Mean),8} {F2(r.Sign.Worst),6} {$"{r.Sign.Kept}/{r.Sign.Pairs}",9} {versus,17} {F2(r.NoiseToSpread),6}  {verdictText}".TrimEnd());
        }
        return text.ToString();
    }

    /// <summary>One line that says what the verdict is.</summary>
    public static string Reading(BenchmarkVerdict verdict)
    {
        var trusted = verdict.Rows.Where(r => r.Trustworthy).OrderByDescending(r => r.Tau).ToList();
        var measures = verdict.Rows.Count(r => r.Role == MetricRole.Measure);
        var best = verdict.Rows.FirstOrDefault(r => r.Metric == verdict.BestBaseline.TrimStart('−'));
        double sign = verdict.BestBaseline.StartsWith('−') ? -1 : 1;
        var robust = verdict.Rows.Count(r => r.Role == MetricRole.Measure && r.Sign.Worst < 0.5);
        string bar = best is null ? "no baseline was scored" : $"the best baseline is {verdict.BestBaseline} (τ = {Signed(sign * best.Tau)})";
        int beat = verdict.Rows.Count(r => r.Role == MetricRole.Measure && r.VersusBaseline is { Difference: > 0 } && r.VersusBaselineQ < 0.05);
        return trusted.Count == 0
            ? $"verdict: none of {measures} measures is trustworthy — {robust} with a worst-case sign-error below 0.5, {beat} beating the best baseline on the paired test (q < 0.05), none both; {bar}."
            : $"verdict: {trusted.Count} of {measures} measures trustworthy ({string.Join(", ", trusted.Select(t => $"{t.Metric} τ = {Signed(t.Tau)}"))}); {bar}.";
    }

    /// <summary><c>verdict.md</c>.</summary>
    public static string Markdown(BenchmarkVerdict verdict, StudySpec spec, IReadOnlyList<ModelResult> results, string command)
    {
        var md = new StringBuilder();
        int included = verdict.Models - verdict.Excluded.Count;
        md.AppendLine($"# Trust benchmark verdict ({spec.Preset})");
        md.AppendLine();
        md.AppendLine($"Target, fixed before the run: the **{BenchmarkDesign.Target}** (percentage points; test split and the training images no model saw, pooled). " +
            $"{verdict.Models} models, {included} scored; data sets {string.Join(", ", verdict.DataSets)}; axes varied jointly: {string.Join(", ", verdict.Axes)}. " +
            $"Held-out gaps {F2(verdict.GapRange.Low)} … {F2(verdict.GapRange.High)} pp, median binomial standard error {F2(verdict.GapNoise)} pp. " +
            $"Models: {Describe(spec)}. " +
            (spec.Preset is "quick" or "standard" or "paper" ? $"Run: `basin benchmark --preset {spec.Preset}`; rebuild" : "Rebuild") + $" this verdict from the saved results, training nothing: `{command}`.");
        md.AppendLine();
        md.AppendLine(Reading(verdict));
        md.AppendLine();
        md.AppendLine("| metric | role | τ | q | τ test split | Ψ | CMI | sign-error mean | worst (where) | pairs kept | within-grid τ (q) | τ − best baseline [95%] (q) | noise/spread | s/model | trustworthy |");
        md.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var r in Ordered(verdict))
        {
            string versus = r.VersusBaseline is { } v ? $"{Signed(v.Difference)} [{Signed(v.Lower)}, {Signed(v.Upper)}] ({P(r.VersusBaselineQ)})" : "–";
            string trust = r.Role != MetricRole.Measure ? "–" : r.Trustworthy ? "**yes**" : "no: " + r.Why;
            md.AppendLine($"| {r.Metric} | {Role(r.Role)} | {Signed(r.Tau)} | {P(r.TauQ)} | {Signed(r.TauTestSplit)} | {Signed(r.Psi)} | {F2(r.Cmi)} | {F2(r.Sign.Mean)} | {F2(r.Sign.Worst)} ({r.Sign.WorstEnvironment}) | {r.Sign.Kept}/{r.Sign.Pairs} | {Signed(r.WithinGridTau)} ({P(r.WithinGridQ)}) | {versus} | {F2(r.NoiseToSpread)} | {r.Seconds.ToString("F2", CultureInfo.InvariantCulture)} | {trust} |");
        }
        md.AppendLine();
        md.AppendLine("## How to read it");
        md.AppendLine();
        md.AppendLine("- **τ**: Kendall τ-b between the metric and the held-out gap within each data set, averaged; **q**: its permutation p-value (gaps shuffled within data sets), Benjamini–Hochberg-adjusted over every row × both targets (held-out gap and test-split gap).");
        md.AppendLine("- **Ψ**: Jiang et al. 2020's granulated τ — for each axis the mean τ over groups of models differing only in that axis, then the mean over axes. **CMI**: Jiang's K(μ), the normalised conditional mutual information between the signs of the metric's and the gap's differences given the hyper-parameters, minimised over conditioning sets of ≤ 2 axes (1 = a perfect predictor, 0 = nothing beyond the knobs).");
        md.AppendLine("- **sign-error** (Dziugaite et al. 2020): over pairs of models differing in exactly one hyper-parameter whose gaps differ by more than twice their binomial noise, the fraction ordered wrongly (a metric difference within the metric's own standard error counts ½); per environment (axis × data set), mean and **worst** over environments with ≥ 3 kept pairs. 0.5 is a coin.");
        md.AppendLine("- **within-grid τ**: pooled τ over pairs of seeds at the same grid point — does the metric order models beyond what the knobs do? (q over rows.) **τ − best baseline**: a paired bootstrap that resamples grid points, then seeds, and draws each metric's and each gap's own noise; q over the compared rows.");
        md.AppendLine("- **Trustworthy** = a measure (not a baseline, not an oracle) whose worst-case sign-error is below 0.5 and whose τ beats the best baseline's on the paired test (q < 0.05). The best baseline is the one with the largest |τ|, negated when it ordered the gaps in reverse (e.g. −train loss): oriented after the fact, which can only raise the bar. Oracle rows read the target itself (the held-out gap) with 1 or 5 pp of Gaussian noise, seeded by the model's name: they show what a τ means.");
        md.AppendLine();
        md.AppendLine("## Environments of the sign-error");
        md.AppendLine();
        var first = verdict.Rows.FirstOrDefault();
        if (first is not null)
        {
            md.AppendLine("Pairs per environment (the same for every metric): differing in one hyper-parameter / kept beyond the gap's noise.");
            md.AppendLine();
            md.AppendLine("| environment | pairs | kept |");
            md.AppendLine("| --- | --- | --- |");
            foreach (var e in first.Sign.Environments) md.AppendLine($"| {e.Environment} | {e.Pairs} | {e.Kept} |");
        }
        if (first is not null)
        {
            md.AppendLine();
            md.AppendLine("Sign-error of every row per environment (– where no pair was kept; environments with fewer than 3 kept pairs do not enter the mean and the worst case):");
            md.AppendLine();
            var environments = first.Sign.Environments.Select(e => e.Environment).ToList();
            md.AppendLine("| metric | " + string.Join(" | ", environments) + " |");
            md.AppendLine("| --- |" + string.Concat(environments.Select(_ => " --- |")));
            foreach (var r in Ordered(verdict))
                md.AppendLine($"| {r.Metric} | " + string.Join(" | ", r.Sign.Environments.Select(e => F2(e.Error))) + " |");
        }
        md.AppendLine();
        md.AppendLine("## Excluded and not scored");
        md.AppendLine();
        md.AppendLine(verdict.Excluded.Count == 0 ? "Every model reached the criterion." : $"{verdict.Excluded.Count} model(s) missed the criterion and are left out of every score:");
        foreach (var (model, why) in verdict.Excluded) md.AppendLine($"- {model}: {why}");
        md.AppendLine();
        md.AppendLine(verdict.NotScored.Count == 0 ? "Every measured metric was scored." : "Metrics not scored:");
        foreach (var (metric, why) in verdict.NotScored) md.AppendLine($"- {metric}: {why}");
        md.AppendLine();
        md.AppendLine("## Models");
        md.AppendLine();
        md.AppendLine("Gaps in percentage points with their binomial standard errors: on the test split, and on the test split and the unseen training images pooled (the target).");
        md.AppendLine();
        md.AppendLine("| model | epochs | train loss | train err % | test-split gap | held-out images | held-out gap |");
        md.AppendLine("| --- | --- | --- | --- | --- | --- | --- |");
        foreach (var r in results)
            md.AppendLine($"| {r.Name} | {r.Log.Count}{(r.HitCap ? " (CAP)" : "")} | {r.TrainLoss.ToString("G3", CultureInfo.InvariantCulture)} | {F2(100 * r.TrainError)} | {F2(r.ErrorGap)} ± {F2(r.ErrorGapStandardError)} | {r.HeldOutError.Samples} | {F2(r.HeldOutErrorGap)} ± {F2(r.HeldOutErrorGapStandardError)} |");
        return md.ToString();
    }

    private static string Describe(StudySpec spec)
    {
        var c = spec.Models[0].Config;
        return $"ReLU MLPs ({string.Join(", ", spec.Models.Select(m => m.Config.Model).Distinct())}), SGD momentum {c.Optimizer.Momentum.ToString(CultureInfo.InvariantCulture)}, constant rate, trained to {c.Until} (cap {c.Epochs} epochs), measured on {spec.MeasureSamples} training samples (at most the training set)";
    }

    private static IEnumerable<MetricVerdict> Ordered(BenchmarkVerdict verdict) =>
        verdict.Rows.OrderBy(r => r.Role switch { MetricRole.Oracle => 0, MetricRole.Baseline => 1, _ => 2 }).ThenByDescending(r => double.IsFinite(r.Tau) ? r.Tau : double.NegativeInfinity);

    private static string Role(MetricRole role) => role switch { MetricRole.Oracle => "oracle", MetricRole.Baseline => "baseline", _ => "measure" };

    private static double? N(double x) => double.IsFinite(x) ? x : null;

    private static string Signed(double x) => StudyReport.Signed(x);

    private static string P(double p) => StudyReport.P(p);

    private static string F2(double x) => double.IsFinite(x) ? x.ToString("F2", CultureInfo.InvariantCulture) : "–";
}
