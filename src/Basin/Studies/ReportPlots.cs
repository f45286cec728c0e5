using System.Globalization;
using Basin.Estimators;
using Basin.Metrics;
using Basin.Studies.Plotting;
using Basin.Training;

namespace Basin.Studies;

/// <summary>
/// The plots of a study report, as PNG and SVG: each metric against the error gap, the training curves,
/// the loss landscapes of the first and last model, and the Hessian spectral densities on a log scale.
/// </summary>
public static class ReportPlots
{
    /// <summary>Writes every plot of the report into <paramref name="folder"/>.</summary>
    public static void Write(IReadOnlyList<ModelResult> results, IReadOnlyList<MetricRanking> rankings, string folder)
    {
        Directory.CreateDirectory(folder);
        // Each point labelled by the model's place on the axis (the seed left out), with ±1 standard error.
        var labels = results.Select(r => string.Join(" ", r.Coordinates.Where(c => c.Key != "seed").Select(c => c.Value))).ToArray();
        foreach (var id in results[0].Metrics.Select(m => m.Id))
        {
            var x = results.Select(r => r.ErrorGap).ToArray();
            var values = results.Select(r => r.Metrics.FirstOrDefault(m => m.Id == id)).ToArray();
            var y = values.Select(v => v?.Value ?? double.NaN).ToArray();
            var errors = values.Select(v => v?.StandardError ?? double.NaN).ToArray();
            string tau = rankings.FirstOrDefault(r => r.Metric == id) is { } ranking
                ? $"; τ = {StudyReport.Signed(ranking.TauError.Value)}, p {StudyReport.PRelation(ranking.TauError.PValue)}"
                : "";
            new LinePlot($"{id} against the generalization gap ({results.Count} models{tau})", "error gap (test − train, percentage points)", id)
                .Add(new Series(id, x, y, Points: true, YError: errors, PointLabels: labels))
                .Save(Path.Combine(folder, "scatter-" + id));
        }
        // Test error solid, train error dashed in the same colour: the gap is the space between them. Models that
        // differ only in their seed share one curve, the mean over seeds (over the epochs all of them ran).
        var groups = results.Select((r, i) => (Result: r, Label: labels[i])).Where(x => x.Result.Log.Count >= 2).GroupBy(x => x.Label).ToList();
        var curves = new LinePlot("training curves: test error (solid) and train error (dashed), % per epoch" + (groups.Any(g => g.Count() > 1) ? ", mean over seeds" : ""), "epoch", "error %");
        int colour = 0;
        foreach (var group in groups)
        {
            var runs = group.Select(x => x.Result).ToList();
            int epochs = runs.Min(r => r.Log.Count);
            var x = Enumerable.Range(0, epochs).Select(e => (double)runs[0].Log[e].Epoch).ToArray();
            double[] Mean(Func<EpochLog, double> of) => Enumerable.Range(0, epochs).Select(e => runs.Average(r => 100 * of(r.Log[e]))).ToArray();
            string name = runs.Count == 1 ? runs[0].Name : $"{group.Key} ({runs.Count} seeds)";
            curves.Add(new Series(name, x, Mean(l => l.TestError), Colour: colour));
            curves.Add(new Series("", x, Mean(l => l.TrainError), Dashed: true, Colour: colour++));
        }
        if (results.Any(r => r.Log.Count >= 2)) curves.Save(Path.Combine(folder, "training-curves"));
        foreach (var r in new[] { results[0], results[^1] }.Where(r => r.Landscape is not null))
        {
            var l = r.Landscape!;
            string sharp = string.Join(", ", r.Metrics.Where(m => m.Id is TopEigenvalue.HessianId or NormalizedSharpness.MetricId).Select(m => $"{m.Id} {m.Value.ToString("G3", CultureInfo.InvariantCulture)}"));
            new HeatmapPlot($"training loss around {r.Name}" + (sharp.Length > 0 ? $" ({sharp})" : ""), "direction 1", "direction 2", l.X, l.Y, l.Grid(), logScale: true) { Marker = (l.Center[0], l.Center[1]) }
                .Save(Path.Combine(folder, "landscape-" + r.Name));
        }
        // Three models, not the whole population on top of each other: the smallest, the median and the largest error gap.
        var withDensity = results.Where(r => r.Density.Count > 0).OrderBy(r => r.ErrorGap).ToList();
        if (withDensity.Count > 3) withDensity = [withDensity[0], withDensity[withDensity.Count / 2], withDensity[^1]];
        if (withDensity.Count > 0)
        {
            var (grid, sigma) = StochasticLanczosQuadrature.Grid(withDensity.SelectMany(r => r.Density.Select(d => d[0])), 800);
            string which = results.Count(r => r.Density.Count > 0) > 3 ? ": smallest, median and largest error gap" : "";
            var plot = new LinePlot($"Hessian spectral densities (SLQ){which}", "eigenvalue", "density (log scale)", logY: true);
            foreach (var r in withDensity)
                plot.Add(new Series($"{r.Name} (gap {r.ErrorGap.ToString("F1", CultureInfo.InvariantCulture)} pp)", grid, StochasticLanczosQuadrature.Broaden(r.Density.Select(d => (d[0], d[1])), grid, sigma)));
            plot.Save(Path.Combine(folder, "spectra"));
        }
    }
}
