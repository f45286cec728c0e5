using System.Text;
using System.Text.Json;
using static Basin.Studies.StudyReport;

namespace Basin.Studies;

/// <summary>What a report section reads: the study, its finished models and the ranking of its metrics.</summary>
/// <param name="Spec">The study.</param>
/// <param name="Results">The finished models, in spec order.</param>
/// <param name="Rankings">The ranking of every metric measured on all of them.</param>
public sealed record ReportInput(StudySpec Spec, IReadOnlyList<ModelResult> Results, IReadOnlyList<MetricRanking> Rankings);

/// <summary>One section of <c>report.md</c>; a section with nothing to say writes nothing.</summary>
public interface IReportSection
{
    /// <summary>Appends the section to <paramref name="md"/>.</summary>
    void Write(StringBuilder md, ReportInput input);
}

/// <summary>The title, what was studied, on what, and the axis.</summary>
public sealed class HeaderSection : IReportSection
{
    /// <inheritdoc />
    public void Write(StringBuilder md, ReportInput input)
    {
        var (spec, results) = (input.Spec, input.Results);
        md.AppendLine($"# Study: {spec.Name} ({spec.Preset})");
        md.AppendLine();
        md.AppendLine($"{results.Count} of {spec.Models.Count} models finished. Data: `{results[0].Config.Data}`, model: `{results[0].Config.Model}`, metrics measured on {MeasuredSamples(spec, results)} training samples per model.");
        if (results.Count < spec.Models.Count)
            md.AppendLine($"Not finished: {string.Join(", ", spec.Models.Select(m => m.Name).Except(results.Select(r => r.Name)))}.");
        if (StudyRanking.Unranked(results) is { Count: > 0 } unranked)
            md.AppendLine($"Not ranked: {string.Join("; ", unranked.Select(u => $"{u.Metric} ({u.Why})"))}.");
        if (StudyAxes.Find(spec.Name) is { Listed: true } axis) md.AppendLine($"Axis: {axis.Description}.");
        // Provenance, from the saved results themselves (results saved before 2026-12-01 do not carry it).
        if (results.Any(r => r.Code is not null))
        {
            var codes = results.Select(r => r.Code ?? "unknown").Distinct().Order(StringComparer.Ordinal);
            var dates = results.Select(r => r.Finished).OfType<string>().Order(StringComparer.Ordinal).ToList();
            var seeds = results.Select(r => r.Config.Seed).Distinct().Order();
            string when = dates.Count == 0 ? "" : $", models finished {dates[0]}{(dates[^1] != dates[0] ? " … " + dates[^1] : "")}";
            md.AppendLine($"Measured with basin {string.Join(", ", codes)}{when}; training seeds {string.Join(", ", seeds)}; metric seed = each model's training seed.");
        }
        md.AppendLine();
    }

    /// <summary>The number of training samples each model was measured on — the spec's count or the model's training set where smaller — as "N" or "N₁ … N₂".</summary>
    internal static string MeasuredSamples(StudySpec spec, IReadOnlyList<ModelResult> results)
    {
        var counts = results.Select(r => r.Config.TrainSubset > 0 ? Math.Min(spec.MeasureSamples, r.Config.TrainSubset + r.Config.Confusion) : spec.MeasureSamples).Distinct().Order().ToList();
        return counts.Count == 1 ? $"{counts[0]}" : $"{counts[0]} … {counts[^1]}";
    }
}

/// <summary>Per model: train and test loss and error, the gaps, and the time spent.</summary>
public sealed class ModelsSection : IReportSection
{
    /// <inheritdoc />
    public void Write(StringBuilder md, ReportInput input)
    {
        // With a training criterion, a column says when each model met it and flags the models that hit the epoch cap.
        bool criterion = input.Results.Any(r => r.Config.Until is not null);
        md.AppendLine("## Models");
        md.AppendLine();
        md.AppendLine("| model | train loss | test loss | loss gap | train err % | test err % | error gap (pp) |" + (criterion ? " epochs (criterion) |" : "") + " train s | measure s |");
        md.AppendLine("| --- | --- | --- | --- | --- | --- | --- |" + (criterion ? " --- |" : "") + " --- | --- |");
        foreach (var r in input.Results)
            md.AppendLine($"| {r.Name} | {F(r.TrainLoss)} | {F(r.TestLoss)} | {F(r.LossGap)} | {F(100 * r.TrainError, "F2")} | {F(100 * r.TestError, "F2")} | {F(r.ErrorGap, "F2")}{(double.IsFinite(r.ErrorGapStandardError) ? " ± " + F(r.ErrorGapStandardError, "F2") : "")} |"
                + (criterion ? $" {Criterion(r)} |" : "") + $" {r.TrainSeconds:F0} | {r.MeasureSeconds:F0} |");
        md.AppendLine();
        if (input.Results.Any(r => r.HitCap))
        {
            md.AppendLine("**Models marked CAP stopped at the epoch cap without meeting the training criterion: they are not trained to the same point as the others.**");
            md.AppendLine();
        }
    }

    private static string Criterion(ModelResult r)
    {
        if (r.Config.Until is not { } until) return "–";
        return $"{r.Log.Count} ({until}{(r.HitCap ? ", CAP" : "")})";
    }
}

/// <summary>Every ranked metric's value ± standard error on every model.</summary>
public sealed class MetricsSection : IReportSection
{
    /// <inheritdoc />
    public void Write(StringBuilder md, ReportInput input)
    {
        var results = input.Results;
        md.AppendLine("## Metrics per model");
        md.AppendLine();
        md.AppendLine("| metric | " + string.Join(" | ", results.Select(r => r.Name)) + " |");
        md.AppendLine("| --- |" + string.Concat(results.Select(_ => " --- |")));
        foreach (var id in input.Rankings.Select(r => r.Metric))
            md.AppendLine($"| {id} | " + string.Join(" | ", results.Select(r => r.Metrics.First(m => m.Id == id).Display)) + " |");
        md.AppendLine();
    }
}

/// <summary>Kendall τ and Spearman ρ of every metric against the loss and error gaps, with intervals.</summary>
public sealed class RankingSection : IReportSection
{
    /// <inheritdoc />
    public void Write(StringBuilder md, ReportInput input)
    {
        md.AppendLine("## Ranking against the generalization gap");
        md.AppendLine();
        md.AppendLine("Kendall τ-b and Spearman ρ over models, with bootstrap 95% intervals (2000 resamples of models) and two-sided permutation p-values (exact over all orderings up to 8 models, else 10 000 permutations). A metric that predicts generalization ranks models like their gap: τ near +1. † marks a degenerate interval (fewer than 5 models, or a perfect order that resamples into itself): read the p-value.");
        md.AppendLine();
        bool grid = input.Rankings.Any(r => double.IsFinite(r.Granulated));
        md.AppendLine("| metric | τ (loss gap) | p | ρ (loss gap) | τ (error gap) | p | ρ (error gap) |" + (grid ? " granulated Ψ (error gap) |" : ""));
        md.AppendLine("| --- | --- | --- | --- | --- | --- | --- |" + (grid ? " --- |" : ""));
        foreach (var r in input.Rankings)
            md.AppendLine($"| {r.Metric} | {Ci(r.TauLoss)} | {P(r.TauLoss.PValue)} | {Ci(r.RhoLoss)} | {Ci(r.TauError)} | {P(r.TauError.PValue)} | {Ci(r.RhoError)} |" + (grid ? $" {F(r.Granulated, "F2")} |" : ""));
        md.AppendLine();
        var (within, pairs) = StudyRanking.AdjacentGapsWithinNoise(input.Results);
        if (pairs > 0)
        {
            md.AppendLine($"Test-set noise: {within} of the {pairs} pairs of models adjacent in error gap differ by less than two standard errors of the difference (± in the models table, binomial over the test set); the order within those pairs is noise, whatever the metric.");
            md.AppendLine();
        }
        // Rankings against the test error and loss themselves, and Pearson's r as the seeds report it.
        {
            md.AppendLine("Against the test error and the test loss themselves (Kendall τ), and Pearson's r against the error gap as seeds 000 and 001 report it:");
            md.AppendLine();
            md.AppendLine("| metric | τ (test error) | p | τ (test loss) | p | Pearson r (error gap) | p |");
            md.AppendLine("| --- | --- | --- | --- | --- | --- | --- |");
            foreach (var r in input.Rankings)
                md.AppendLine($"| {r.Metric} | {Ci(r.TauTestError)} | {P(r.TauTestError.PValue)} | {Ci(r.TauTestLoss)} | {P(r.TauTestLoss.PValue)} | {Ci(r.PearsonError)} | {P(r.PearsonError.PValue)} |");
            md.AppendLine();
        }
    }
}

/// <summary>The trust table: τ against the error gap, noise against spread, and cost.</summary>
public sealed class TrustSection : IReportSection
{
    /// <inheritdoc />
    public void Write(StringBuilder md, ReportInput input)
    {
        md.AppendLine("## Trust table");
        md.AppendLine();
        md.AppendLine("Per metric: τ against the error gap with its interval; the metric's own Monte-Carlo error relative to its spread across models (median standard error ÷ standard deviation over models: near or above 1, the ranking is noise; – where the study measured it without one); its cost; and, for a metric that is a function of another (ordering the models nearly as that one does), which one: such rows are not separate evidence.");
        md.AppendLine();
        md.AppendLine("```");
        md.Append(TrustTable(input.Rankings));
        md.AppendLine("```");
        if (input.Results.Any(r => r.TestSamples > 0))
        {
            md.AppendLine();
            md.AppendLine(Reading(input.Results, input.Rankings));
        }
    }
}

/// <summary>Batch vs full-sample Tr H and Tr H² (seed 000 §4.2), when the study measured them.</summary>
public sealed class SubsamplingSection : IReportSection
{
    /// <inheritdoc />
    public void Write(StringBuilder md, ReportInput input)
    {
        if (!input.Results.Any(r => r.Subsampling.Count > 0)) return;
        md.AppendLine();
        md.AppendLine("## Sub-sampled curvature (seed 000 §4.2)");
        md.AppendLine();
        md.AppendLine("Mean over disjoint batches of the batch Hessian's trace and Tr H²; the last row of each model is the full measured sample. The trace is unbiased under sub-sampling; Tr H² is biased upward by the batch noise.");
        md.AppendLine();
        md.AppendLine("| model | batch | Tr H_B | Tr H_B² |");
        md.AppendLine("| --- | --- | --- | --- |");
        foreach (var r in input.Results)
            foreach (var s in r.Subsampling)
                md.AppendLine($"| {r.Name} | {s.BatchSize} | {F(s.TraceMean)} ± {F(s.TraceError, "G2")} | {F(s.SquareMean)} ± {F(s.SquareError, "G2")} |");
    }
}

/// <summary>The training config of the first model, the metric settings, and the plot files.</summary>
public sealed class SettingsSection : IReportSection
{
    /// <inheritdoc />
    public void Write(StringBuilder md, ReportInput input)
    {
        md.AppendLine();
        md.AppendLine("## Settings");
        md.AppendLine();
        md.AppendLine("Training (first model; the axis varies from it):");
        md.AppendLine();
        md.AppendLine("```json");
        md.AppendLine(input.Results[0].Config.ToJson());
        md.AppendLine("```");
        md.AppendLine();
        md.AppendLine("Metrics:");
        md.AppendLine();
        md.AppendLine("```json");
        md.AppendLine(JsonSerializer.Serialize(input.Spec.Measure, Training.TrainConfig.JsonOptions));
        md.AppendLine("```");
        md.AppendLine();
        // Only the plots ReportPlots drew for these results.
        var results = input.Results;
        var plots = new List<string> { "`plots/scatter-<metric>.png|svg` (metric against error gap)" };
        if (results.Any(r => r.Log.Count >= 2)) plots.Add("`plots/training-curves.png|svg`");
        if (results.Any(r => r.Density.Count > 0)) plots.Add("`plots/spectra.png|svg` (Hessian spectral densities, log scale; of three models, the smallest, median and largest error gap, when there are more)");
        if (results[0].Landscape is not null || results[^1].Landscape is not null)
            plots.Add("`plots/landscape-<model>.png|svg` (training loss, log colour scale, on the plane of two filter-normalised random directions through the first and the last model's weights)");
        md.AppendLine($"Plots: {string.Join(", ", plots)}.");
    }
}
