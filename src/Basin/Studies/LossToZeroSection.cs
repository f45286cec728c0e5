using System.Globalization;
using System.Text;
using Basin.Metrics;

namespace Basin.Studies;

/// <summary>
/// On the <c>loss-to-zero</c> axis (its report's section, <see cref="Axes.LossToZeroAxis"/>), the curvature against the training loss rather than the gap (seed 002 Theorem 1:
/// for unregularised training of a ReLU network, λ₁ and Tr H go to 0 as the loss does). Kendall τ between each
/// curvature metric and the training loss over the models, with its permutation p-value (Ranking); τ &gt; 0 says the
/// metric falls as the loss falls. Then the mean over seeds at each grid point.
/// </summary>
public sealed class LossToZeroSection : IReportSection
{
    /// <summary>The curvature metrics the theorem speaks of, and the sharpness peers.</summary>
    public static readonly string[] Metrics = [TopEigenvalue.HessianId, HessianTrace.MetricId, HessianFrobeniusSquared.MetricId, TopEigenvalue.GgnId, GgnTrace.MetricId, KeskarSharpness.MetricId];

    /// <inheritdoc />
    public void Write(StringBuilder md, ReportInput input)
    {
        string axis = input.Spec.Name;
        if (input.Results.Count < 3) return;
        var results = input.Results;
        var loss = results.Select(r => r.TrainLoss).ToList();
        md.AppendLine("## Curvature against the training loss (seed 002 Theorem 1)");
        md.AppendLine();
        md.AppendLine($"Kendall τ between each metric and the training loss over the {results.Count} models, with the two-sided permutation p-value: τ > 0 means the metric falls as the training loss falls, as the theorem says λ₁ and Tr H must (toward 0).");
        md.AppendLine();
        md.AppendLine("| metric | τ vs train loss | p | Spearman ρ |");
        md.AppendLine("| --- | --- | --- | --- |");
        var shown = Metrics.Where(id => results.All(r => double.IsFinite(r.Value(id)))).ToList();
        foreach (var id in shown)
        {
            var values = results.Select(r => r.Value(id)).ToList();
            md.AppendLine($"| {id} | {StudyReport.TauCells(values, loss)} | {StudyReport.Signed(Ranking.SpearmanRho(values, loss))} |");
        }
        md.AppendLine();
        md.AppendLine("Mean over seeds at each grid point:");
        md.AppendLine();
        md.AppendLine($"| {axis} | train loss | {string.Join(" | ", shown)} |");
        md.AppendLine($"| --- | --- | {string.Join(" | ", shown.Select(_ => "---"))} |");
        foreach (var point in results.GroupBy(r => r.Coordinates.GetValueOrDefault(axis) ?? r.Name))
            md.AppendLine($"| {point.Key} | {point.Average(r => r.TrainLoss).ToString("G4", CultureInfo.InvariantCulture)} | "
                + string.Join(" | ", shown.Select(id => point.Average(r => r.Value(id)).ToString("G4", CultureInfo.InvariantCulture))) + " |");
        md.AppendLine();
    }
}
