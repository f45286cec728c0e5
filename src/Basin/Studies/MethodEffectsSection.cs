using System.Text;
using Basin.Training;
using static Basin.Studies.StudyReport;

namespace Basin.Studies;

/// <summary>
/// On an axis with a <c>plain</c> point and several seeds (the <c>regularizers</c> study): for each method, the
/// change against plain training of the same seed in test error, error gap and the method's own metric, with
/// 95% intervals over seeds (<see cref="PairedDifference"/>).
/// </summary>
public sealed class MethodEffectsSection : IReportSection
{
    /// <summary>The label of the baseline point.</summary>
    public const string Baseline = "plain";

    /// <summary>The metrics a method sets out to lower: the trace penalty its trace, R_α the Fisher trace (and γ̂, seed 001 Table 2), Perturbed OPT seed 003's Ψ, SAM/ASAM sharpness.</summary>
    public static IReadOnlyList<string> OwnMetrics(TrainConfig config) => config.RegularizerSettings switch
    {
        { Name: "trace" } s => s.Word("curvature") == "hessian" ? ["hessian.trace", "ggn.trace"] : ["ggn.trace", "hessian.trace"],
        { Name: "fisher" } => ["fisher.trace", "fisher.logdet_subsampled"],
        { Name: "perturbed" } => ["pacgen"],
        { Name: "sam" or "asam" } => ["sharpness.keskar", "hessian.top_eigenvalue"],
        _ => [],
    };

    /// <inheritdoc />
    public void Write(StringBuilder md, ReportInput input)
    {
        string axis = input.Spec.Name;
        var bySeed = input.Results.Where(r => r.Coordinates.GetValueOrDefault(axis) == Baseline).ToDictionary(r => r.Config.Seed);
        if (bySeed.Count == 0) return;
        md.AppendLine("## Each method against plain training");
        md.AppendLine();
        md.AppendLine($"Differences paired by seed (method − plain, same initialisation and data order), mean over seeds with a 95% Student-t interval; † marks an interval that excludes 0. {bySeed.Count} plain model(s); a method's own metric as measured on both (relative change in % of plain's mean).");
        md.AppendLine();
        md.AppendLine("| method | seeds | test err % | Δ test err (pp) | Δ error gap (pp) | Δ test loss | own metric | Δ own metric (%) |");
        md.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var group in input.Results.Where(r => r.Coordinates.GetValueOrDefault(axis) is { } label && label != Baseline)
            .GroupBy(r => r.Coordinates[axis]))
        {
            var pairs = group.Where(r => bySeed.ContainsKey(r.Config.Seed)).ToList();
            if (pairs.Count == 0) continue;
            var plain = pairs.Select(r => bySeed[r.Config.Seed]).ToList();
            var error = PairedDifference.Of(pairs.Select(r => 100 * r.TestError).ToList(), plain.Select(r => 100 * r.TestError).ToList());
            var gap = PairedDifference.Of(pairs.Select(r => r.ErrorGap).ToList(), plain.Select(r => r.ErrorGap).ToList());
            var loss = PairedDifference.Of(pairs.Select(r => r.TestLoss).ToList(), plain.Select(r => r.TestLoss).ToList());
            var own = OwnMetrics(pairs[0].Config).Select(id => OwnChange(id, pairs, plain)).OfType<(string Id, string Cell)>().ToList();
            md.AppendLine($"| {group.Key} (`{pairs[0].Config.RegularizerSettings.Describe()}`) | {pairs.Count} | {F(pairs.Average(r => 100 * r.TestError), "F2")} | {Cell(error)} | {Cell(gap)} | {Cell(loss, "G3")} | "
                + $"{(own.Count == 0 ? "–" : string.Join("<br>", own.Select(o => o.Id)))} | {(own.Count == 0 ? "–" : string.Join("<br>", own.Select(o => o.Cell)))} |");
        }
        md.AppendLine();
    }

    private static (string Id, string Cell)? OwnChange(string id, List<ModelResult> models, List<ModelResult> plain)
    {
        double? Value(ModelResult r) => r.Metrics.FirstOrDefault(m => m.Id == id && double.IsFinite(m.Value))?.Value;
        if (models.Any(r => Value(r) is null) || plain.Any(r => Value(r) is null)) return null;
        double scale = Math.Abs(plain.Average(r => Value(r)!.Value));
        if (scale == 0) return null;
        var d = PairedDifference.Of(models.Select(r => 100 * Value(r)!.Value / scale).ToList(), plain.Select(r => 100 * Value(r)!.Value / scale).ToList());
        return (id, Cell(d, "F1"));
    }

    private static string Cell(PairedDifference d, string format = "F2") =>
        d.Pairs < 2 ? $"{F(d.Mean, format)} (1 seed)" : $"{(d.Mean >= 0 ? "+" : "")}{F(d.Mean, format)} [{F(d.Low, format)}, {F(d.High, format)}]{(d.Excludes0 ? " †" : "")}";
}
