using System.Globalization;
using System.Text;

namespace Basin.Studies;

/// <summary>
/// What the axis itself does, on a study of one numeric axis (weight decay, batch size, learning rate …): Kendall τ-b
/// of the axis value against the test error, the gaps and the test loss — whether the premise holds, e.g. "larger
/// batches generalize worse" — and against every metric — whether the metric moves with the axis, as the seeds report
/// (e.g. Ψ and γ̂ rising with the batch size) — each with its two-sided permutation p-value (Ranking). A metric can move
/// with the axis while the gap does not: then it does not track generalization here, whatever the seed found.
/// </summary>
public sealed class AxisSection : IReportSection
{
    /// <inheritdoc />
    public void Write(StringBuilder md, ReportInput input)
    {
        string axis = input.Spec.Name;
        var results = input.Results;
        if (results.Count < 3) return;
        var values = new List<double>();
        foreach (var r in results)
        {
            if (r.Coordinates.Keys.Any(k => k != axis && k != "seed")) return; // a grid over several axes: the granulated τ speaks there
            if (!double.TryParse(r.Coordinates.GetValueOrDefault(axis), NumberStyles.Float, CultureInfo.InvariantCulture, out double v)) return;
            values.Add(v);
        }
        if (values.Distinct().Count() < 3) return;
        md.AppendLine($"## What the {axis} axis does");
        md.AppendLine();
        md.AppendLine($"Kendall τ-b between the {axis} value and each quantity over the {results.Count} models, with the two-sided permutation p-value. The first rows say whether the axis changes generalization here (the premise of a claim about it); the rest whether each metric moves with the axis.");
        md.AppendLine();
        // Models that stopped at the epoch cap short of the criterion are not trained to the same point: τ again without them.
        var met = results.Select((r, i) => (r, i)).Where(p => !p.r.HitCap).Select(p => p.i).ToList();
        bool capped = met.Count < results.Count && met.Count >= 3;
        md.AppendLine($"| quantity | τ vs {axis} | p |" + (capped ? $" τ, the {met.Count} models that met the criterion | p |" : ""));
        md.AppendLine("| --- | --- | --- |" + (capped ? " --- | --- |" : ""));
        void Row(string name, IReadOnlyList<double> y)
        {
            if (y.Any(v => !double.IsFinite(v))) return;
            md.AppendLine($"| {name} | {StudyReport.TauCells(values, y)} |" + (capped ? $" {StudyReport.TauCells([.. met.Select(i => values[i])], [.. met.Select(i => y[i])])} |" : ""));
        }
        Row("test error", [.. results.Select(r => r.TestError)]);
        Row("error gap", [.. results.Select(r => r.ErrorGap)]);
        Row("test loss", [.. results.Select(r => r.TestLoss)]);
        Row("loss gap", [.. results.Select(r => r.LossGap)]);
        foreach (var id in input.Rankings.Select(r => r.Metric)) Row(id, [.. results.Select(r => r.Value(id))]);
        md.AppendLine();
    }
}
