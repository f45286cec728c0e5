using System.Globalization;
using System.Text;
using System.Text.Json;
using Basin.IO;
using Basin.Metrics;
using Basin.Studies.Plotting;

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
public sealed record MetricRanking(string Metric, Correlation TauLoss, Correlation RhoLoss, Correlation TauError, Correlation RhoError, double NoiseToSpread, double Seconds, double Granulated);

/// <summary>
/// A study's report, rebuilt from its saved results alone: <c>report.md</c> (per-model table, ranking and
/// trust tables, settings), <c>results.csv</c>, <c>results.json</c>, and plots as PNG and SVG under
/// <c>plots/</c>: each metric against the error gap, training curves, and the Hessian spectral densities
/// on a log scale. The same results always give the same files.
/// </summary>
public static class StudyReport
{
    /// <summary>Ranks every metric measured on all <paramref name="results"/>.</summary>
    public static List<MetricRanking> Rank(IReadOnlyList<ModelResult> results)
    {
        var ids = results[0].Metrics.Select(m => m.Id).Where(id => results.All(r => r.Metrics.Any(m => m.Id == id))).ToList();
        var lossGap = results.Select(r => r.LossGap).ToArray();
        var errorGap = results.Select(r => r.ErrorGap).ToArray();
        var coordinates = results.Select(r => (IReadOnlyDictionary<string, string>)r.Coordinates.Where(c => c.Key != "seed").ToDictionary()).ToList();
        bool grid = coordinates.SelectMany(c => c.Keys).Distinct().Count() > 1;
        var rankings = new List<MetricRanking>();
        foreach (var id in ids)
        {
            var values = results.Select(r => r.Metrics.First(m => m.Id == id)).ToList();
            var x = values.Select(v => v.Value).ToArray();
            var errors = values.Select(v => v.StandardError).Where(double.IsFinite).ToList();
            double mean = x.Average(), spread = Math.Sqrt(x.Sum(v => (v - mean) * (v - mean)) / Math.Max(1, x.Length - 1));
            double noise = errors.Count == values.Count && spread > 0 ? Median(errors) / spread : double.NaN;
            rankings.Add(new MetricRanking(id,
                Ranking.Bootstrap(x, lossGap, Ranking.KendallTau), Ranking.Bootstrap(x, lossGap, Ranking.SpearmanRho),
                Ranking.Bootstrap(x, errorGap, Ranking.KendallTau), Ranking.Bootstrap(x, errorGap, Ranking.SpearmanRho),
                noise, values.Average(v => v.Seconds), grid ? Ranking.GranulatedKendall(coordinates, x, errorGap).Psi : double.NaN));
        }
        return rankings;
    }

    /// <summary>Writes the report files into <paramref name="folder"/> and returns the ranking.</summary>
    public static List<MetricRanking> Write(StudySpec spec, IReadOnlyList<ModelResult> results, string folder)
    {
        if (results.Count < 2) throw new InvalidOperationException($"a report needs at least two finished models, the study has {results.Count}");
        var rankings = Rank(results);
        AtomicFile.WriteAllText(Path.Combine(folder, "results.csv"), Csv(results));
        AtomicFile.WriteAllText(Path.Combine(folder, "results.json"), JsonSerializer.Serialize(new { spec.Name, spec.Preset, models = results, rankings }, StudySpec.Options));
        AtomicFile.WriteAllText(Path.Combine(folder, "report.md"), Markdown(spec, results, rankings));
        Plots(results, Path.Combine(folder, "plots"));
        return rankings;
    }

    /// <summary>The trust table as plain text, for the terminal.</summary>
    public static string TrustTable(IReadOnlyList<MetricRanking> rankings)
    {
        var text = new StringBuilder();
        text.AppendLine($"{"metric",-28} {"τ vs error gap [95% CI]",-26} {"noise/spread",-12} {"s/model",7}");
        foreach (var r in rankings.OrderByDescending(r => double.IsNaN(r.TauError.Value) ? double.NegativeInfinity : r.TauError.Value))
            text.AppendLine($"{r.Metric,-28} {Ci(r.TauError),-26} {F(r.NoiseToSpread, "F2"),-12} {r.Seconds,7:F1}");
        return text.ToString();
    }

    private static string Markdown(StudySpec spec, IReadOnlyList<ModelResult> results, List<MetricRanking> rankings)
    {
        var md = new StringBuilder();
        md.AppendLine($"# Study: {spec.Name} ({spec.Preset})");
        md.AppendLine();
        md.AppendLine($"{results.Count} of {spec.Models.Count} models finished. Data: `{results[0].Config.Data}`, model: `{results[0].Config.Model}`, metrics measured on {spec.MeasureSamples} training samples per model.");
        if (StudyAxes.Names.TryGetValue(spec.Name, out var what)) md.AppendLine($"Axis: {what}.");
        md.AppendLine();
        md.AppendLine("## Models");
        md.AppendLine();
        md.AppendLine("| model | train loss | test loss | loss gap | train err % | test err % | error gap (pp) | train s | measure s |");
        md.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var r in results)
            md.AppendLine($"| {r.Name} | {F(r.TrainLoss)} | {F(r.TestLoss)} | {F(r.LossGap)} | {F(100 * r.TrainError, "F2")} | {F(100 * r.TestError, "F2")} | {F(r.ErrorGap, "F2")} | {r.TrainSeconds:F0} | {r.MeasureSeconds:F0} |");
        md.AppendLine();
        md.AppendLine("## Metrics per model");
        md.AppendLine();
        md.AppendLine("| metric | " + string.Join(" | ", results.Select(r => r.Name)) + " |");
        md.AppendLine("| --- |" + string.Concat(results.Select(_ => " --- |")));
        foreach (var id in rankings.Select(r => r.Metric))
            md.AppendLine($"| {id} | " + string.Join(" | ", results.Select(r => r.Metrics.First(m => m.Id == id).Display)) + " |");
        md.AppendLine();
        md.AppendLine("## Ranking against the generalization gap");
        md.AppendLine();
        md.AppendLine("Kendall τ-b and Spearman ρ over models, with bootstrap 95% intervals (2000 resamples of models). A metric that predicts generalization ranks models like their gap: τ near +1.");
        md.AppendLine();
        bool grid = rankings.Any(r => double.IsFinite(r.Granulated));
        md.AppendLine("| metric | τ (loss gap) | ρ (loss gap) | τ (error gap) | ρ (error gap) |" + (grid ? " granulated Ψ (error gap) |" : ""));
        md.AppendLine("| --- | --- | --- | --- | --- |" + (grid ? " --- |" : ""));
        foreach (var r in rankings)
            md.AppendLine($"| {r.Metric} | {Ci(r.TauLoss)} | {Ci(r.RhoLoss)} | {Ci(r.TauError)} | {Ci(r.RhoError)} |" + (grid ? $" {F(r.Granulated, "F2")} |" : ""));
        md.AppendLine();
        md.AppendLine("## Trust table");
        md.AppendLine();
        md.AppendLine("Per metric: τ against the error gap with its interval; the metric's own Monte-Carlo error relative to its spread across models (median standard error ÷ standard deviation over models: near or above 1, the ranking is noise); and its cost.");
        md.AppendLine();
        md.AppendLine("```");
        md.Append(TrustTable(rankings));
        md.AppendLine("```");
        if (results.Any(r => r.Subsampling.Count > 0))
        {
            md.AppendLine();
            md.AppendLine("## Sub-sampled curvature (seed 000 §4.2)");
            md.AppendLine();
            md.AppendLine("Mean over disjoint batches of the batch Hessian's trace and Tr H²; the last row of each model is the full measured sample. The trace is unbiased under sub-sampling; Tr H² is biased upward by the batch noise.");
            md.AppendLine();
            md.AppendLine("| model | batch | Tr H_B | Tr H_B² |");
            md.AppendLine("| --- | --- | --- | --- |");
            foreach (var r in results)
                foreach (var s in r.Subsampling)
                    md.AppendLine($"| {r.Name} | {s.BatchSize} | {F(s.TraceMean)} ± {F(s.TraceError, "G2")} | {F(s.SquareMean)} ± {F(s.SquareError, "G2")} |");
        }
        md.AppendLine();
        md.AppendLine("## Settings");
        md.AppendLine();
        md.AppendLine("Training (first model; the axis varies from it):");
        md.AppendLine();
        md.AppendLine("```json");
        md.AppendLine(results[0].Config.ToJson());
        md.AppendLine("```");
        md.AppendLine();
        md.AppendLine("Metrics:");
        md.AppendLine();
        md.AppendLine("```json");
        md.AppendLine(JsonSerializer.Serialize(spec.Measure, Training.TrainConfig.JsonOptions));
        md.AppendLine("```");
        md.AppendLine();
        md.AppendLine("Plots: `plots/scatter-<metric>.png|svg` (metric against error gap), `plots/training-curves.png|svg`, `plots/spectra.png|svg` (Hessian spectral densities, log scale), `plots/landscape-<model>.png|svg` (training loss, log colour scale, on the plane of two filter-normalised random directions through the first and the last model's weights).");
        return md.ToString();
    }

    private static string Csv(IReadOnlyList<ModelResult> results)
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

    private static void Plots(IReadOnlyList<ModelResult> results, string folder)
    {
        Directory.CreateDirectory(folder);
        foreach (var id in results[0].Metrics.Select(m => m.Id))
        {
            var x = results.Select(r => r.ErrorGap).ToArray();
            var y = results.Select(r => r.Metrics.FirstOrDefault(m => m.Id == id)?.Value ?? double.NaN).ToArray();
            new LinePlot($"{id} against the generalization gap ({results.Count} models)", "error gap (test − train, percentage points)", id)
                .Add(new Series(id, x, y, Points: true))
                .Save(Path.Combine(folder, "scatter-" + id));
        }
        var curves = new LinePlot("training curves: test error (%) per epoch", "epoch", "test error %");
        foreach (var r in results.Where(r => r.Log.Count >= 2))
            curves.Add(new Series(r.Name, r.Log.Select(l => (double)l.Epoch).ToArray(), r.Log.Select(l => 100 * l.TestError).ToArray()));
        if (results.Any(r => r.Log.Count >= 2)) curves.Save(Path.Combine(folder, "training-curves"));
        foreach (var r in new[] { results[0], results[^1] }.Where(r => r.Landscape is not null))
        {
            var l = r.Landscape!;
            string sharp = string.Join(", ", r.Metrics.Where(m => m.Id is "hessian.top_eigenvalue" or "sharpness.normalized").Select(m => $"{m.Id} {m.Value.ToString("G3", CultureInfo.InvariantCulture)}"));
            new HeatmapPlot($"training loss around {r.Name}" + (sharp.Length > 0 ? $" ({sharp})" : ""), "direction 1", "direction 2", l.X, l.Y, l.Grid(), logScale: true) { Marker = (l.Center[0], l.Center[1]) }
                .Save(Path.Combine(folder, "landscape-" + r.Name));
        }
        var withDensity = results.Where(r => r.Density.Count > 0).ToList();
        if (withDensity.Count > 0)
        {
            double lo = withDensity.Min(r => r.Density.Min(d => d[0])), hi = withDensity.Max(r => r.Density.Max(d => d[0]));
            double span = Math.Max(hi - lo, 1e-12), sigma = span / 200;
            var grid = Enumerable.Range(0, 800).Select(i => lo - 10 * sigma + (span + 20 * sigma) * i / 799).ToArray();
            var plot = new LinePlot("Hessian spectral densities (SLQ)", "eigenvalue", "density (log scale)", logY: true);
            foreach (var r in withDensity)
            {
                double norm = 1 / (sigma * Math.Sqrt(2 * Math.PI));
                var density = grid.Select(t => r.Density.Sum(d => d[1] * norm * Math.Exp(-0.5 * Math.Pow((t - d[0]) / sigma, 2)))).ToArray();
                plot.Add(new Series(r.Name, grid, density));
            }
            plot.Save(Path.Combine(folder, "spectra"));
        }
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : 0.5 * (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]);
    }

    private static string Ci(Correlation c) => double.IsFinite(c.Value)
        ? $"{F(c.Value, "+0.00;-0.00")} [{F(c.Lower, "+0.00;-0.00")}, {F(c.Upper, "+0.00;-0.00")}]"
        : "undefined";

    private static string F(double x, string format = "G4") => double.IsFinite(x) ? x.ToString(format, CultureInfo.InvariantCulture) : "–";
}
