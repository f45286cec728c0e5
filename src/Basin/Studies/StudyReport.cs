using System.Globalization;
using System.Text;
using System.Text.Json;
using Basin.IO;
using Basin.Metrics;

namespace Basin.Studies;

/// <summary>
/// A study's report, rebuilt from its saved results alone: <c>report.md</c> (its axis's sections, <see cref="StudyAxes.Sections"/>, in
/// order), <c>results.csv</c>, <c>results.json</c>, and plots as PNG and SVG under <c>plots/</c>
/// (<see cref="ReportPlots"/>). The same results always give the same files.
/// </summary>
public static class StudyReport
{
    /// <summary>
    /// The sections every study's <c>report.md</c> has, in order — header, models, metrics, what the axis does, ranking, trust
    /// table, inference, settings — with an axis's own sections <paramref name="early"/> (after the metrics) and
    /// <paramref name="late"/> (before the settings); <paramref name="axisSection"/> false leaves out what the axis does.
    /// </summary>
    public static IReadOnlyList<IReportSection> Standard(IReadOnlyList<IReportSection>? early = null, IReadOnlyList<IReportSection>? late = null, bool axisSection = true) =>
        [new HeaderSection(), new ModelsSection(), new MetricsSection(), .. early ?? [], .. axisSection ? [new AxisSection()] : Array.Empty<IReportSection>(),
            new RankingSection(), new TrustSection(), new InferenceSection(), .. late ?? [], new SettingsSection()];

    /// <summary>Writes the report files into <paramref name="folder"/>, with the sections of the study's axis (<see cref="StudyAxes.Sections"/>), and returns the ranking.</summary>
    public static List<MetricRanking> Write(StudySpec spec, IReadOnlyList<ModelResult> results, string folder)
    {
        if (results.Count < 2) throw new InvalidOperationException($"a report needs at least two finished models, the study has {results.Count}");
        var rankings = StudyRanking.Rank(results);
        AtomicFile.WriteAllText(Path.Combine(folder, "results.csv"), Csv(results));
        AtomicFile.WriteAllText(Path.Combine(folder, "results.json"), JsonSerializer.Serialize(new { spec.Name, spec.Preset, models = results, rankings }, StudySpec.Options));
        var md = new StringBuilder();
        var input = new ReportInput(spec, results, rankings);
        foreach (var section in StudyAxes.Sections(spec.Name)) section.Write(md, input);
        AtomicFile.WriteAllText(Path.Combine(folder, "report.md"), md.ToString());
        ReportPlots.Write(results, rankings, Path.Combine(folder, "plots"));
        return rankings;
    }

    /// <summary>
    /// One line that reads the trust table: how many metrics order the models like their error gap at p &lt; 0.05,
    /// the best of them and λ₁, and what limits the population (models at the epoch cap, gaps within test-set noise).
    /// </summary>
    public static string Reading(IReadOnlyList<ModelResult> results, IReadOnlyList<MetricRanking> rankings)
    {
        // Derived rows (Tr H / P beside Tr H …) are not separate evidence: count the independent metrics only.
        var independent = rankings.Where(r => DerivedFrom(r.Metric) is null).ToList();
        var significant = independent.Where(r => r.TauError.PValue < 0.05).ToList();
        var like = significant.Where(r => r.TauError.Value > 0).OrderByDescending(r => r.TauError.Value).ToList();
        int reverse = significant.Count - like.Count;
        int derivedRows = rankings.Count - independent.Count;
        string derived = derivedRows > 0 ? $" independent (the {derivedRows} derived row{(derivedRows == 1 ? "" : "s")} not counted)" : "";
        var line = new StringBuilder($"reading: at p < 0.05, {like.Count} of {independent.Count} metrics{derived} order the {results.Count} models like their error gap and {reverse} in reverse");
        if (like.Count > 0)
            line.Append($" (strongest: {like[0].Metric}, τ = {Signed(like[0].TauError.Value)}, p {PRelation(like[0].TauError.PValue)})");
        if (rankings.FirstOrDefault(r => r.Metric == TopEigenvalue.HessianId) is { } top)
            line.Append($"; λ₁: τ = {Signed(top.TauError.Value)}, p {PRelation(top.TauError.PValue)}");
        int capped = results.Count(r => r.HitCap);
        if (capped > 0) line.Append($"; {capped} model(s) stopped at the epoch cap short of the criterion");
        var (within, pairs) = StudyRanking.AdjacentGapsWithinNoise(results);
        if (pairs > 0) line.Append($"; {within} of {pairs} adjacent gaps within test-set noise");
        return line.Append('.').ToString();
    }

    /// <summary>The metric a registered metric is derived from (<see cref="Metrics.IMetric.DerivedFrom"/>), or null.</summary>
    internal static string? DerivedFrom(string id) => Metrics.MetricRegistry.All.FirstOrDefault(m => m.Id == id)?.DerivedFrom;

    /// <summary>The trust table as plain text, for the terminal.</summary>
    public static string TrustTable(IEnumerable<MetricRanking> rankings)
    {
        var text = new StringBuilder();
        text.AppendLine($"{"metric",-28} {"τ vs error gap [95% CI]",-28} {"p",-7} {"noise/spread",-12} {"s/model",7}  derived from");
        var rows = rankings.OrderByDescending(r => double.IsNaN(r.TauError.Value) ? double.NegativeInfinity : r.TauError.Value).ToList();
        foreach (var r in rows)
            text.AppendLine($"{r.Metric,-28} {Ci(r.TauError),-28} {P(r.TauError.PValue),-7} {F(r.NoiseToSpread, "F2"),-12} {r.Seconds,7:F1}  {DerivedFrom(r.Metric)}".TrimEnd());
        if (rows.Any(r => r.TauError.Degenerate))
            text.AppendLine($"† the bootstrap interval is degenerate ({rows[0].TauError.Models} models, or a perfect order resampling into itself): read p, the exact/permutation two-sided p-value.");
        return text.ToString();
    }

    /// <summary>One row per model × metric: value, error, cost, and the model's train and test figures.</summary>
    internal static string Csv(IReadOnlyList<ModelResult> results)
    {
        var csv = new StringBuilder("model,coordinates,metric,value,standard_error,forward_passes,gradients,curvature_products,per_sample_gradients,seconds,train_loss,test_loss,train_error,test_error,loss_gap,error_gap_pp\n");
        foreach (var r in results)
        {
            string coords = string.Join(";", r.Coordinates.Select(c => $"{c.Key}={c.Value}"));
            foreach (var m in r.Metrics)
                csv.AppendLine(string.Join(",", new object[] { r.Name, coords, m.Id, m.Value, m.StandardError, m.Cost.ForwardPasses, m.Cost.Gradients, m.Cost.CurvatureProducts, m.Cost.PerSampleGradients, m.Seconds, r.TrainLoss, r.TestLoss, r.TrainError, r.TestError, r.LossGap, r.ErrorGap }
                    .Select(v => Convert.ToString(v, CultureInfo.InvariantCulture))));
        }
        return csv.ToString();
    }

    /// <summary>A correlation with its interval, for tables.</summary>
    internal static string Ci(Correlation c) => double.IsFinite(c.Value)
        ? $"{Signed(c.Value)} [{Signed(c.Lower)}, {Signed(c.Upper)}]" + (c.Degenerate ? " †" : "")
        : "undefined";

    /// <summary>A correlation with two decimals and its sign; one that rounds to zero is +0.00 (not "-+0.00").</summary>
    internal static string Signed(double x)
    {
        if (!double.IsFinite(x)) return "–";
        double r = Math.Round(x, 2, MidpointRounding.AwayFromZero);
        return r == 0 ? "+0.00" : r.ToString("+0.00;-0.00", CultureInfo.InvariantCulture);
    }

    /// <summary>"= 0.006" or "&lt; 0.001": a p-value after its relation sign, for prose and titles.</summary>
    internal static string PRelation(double p) => P(p) is var text && text.StartsWith('<') ? "< " + text[1..] : "= " + text;

    /// <summary>A p-value for tables: three significant digits, "&lt; 0.001" below.</summary>
    internal static string P(double p) => !double.IsFinite(p) ? "–" : p < 0.001 ? "<0.001" : p.ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>Kendall τ-b of <paramref name="x"/> against <paramref name="y"/> and its two-sided permutation p-value, as two table cells.</summary>
    internal static string TauCells(IReadOnlyList<double> x, IReadOnlyList<double> y) =>
        $"{Signed(Ranking.KendallTau(x, y))} | {P(Ranking.PermutationPValue(x, y, Ranking.KendallTau))}";

    /// <summary>A number for tables (– when not finite).</summary>
    internal static string F(double x, string format = "G4") => double.IsFinite(x) ? x.ToString(format, CultureInfo.InvariantCulture) : "–";
}
