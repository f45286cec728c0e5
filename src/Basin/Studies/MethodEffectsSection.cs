using System.Text;
using Basin.Training;
using static Basin.Studies.StudyReport;

namespace Basin.Studies;

/// <summary>
/// On an axis with a <c>plain</c> point and several seeds (the <c>regularizers</c> study): for each method, the
/// change against plain training of the same seed in held-out and test error, error gap and the method's own metric, with
/// 95% intervals over seeds, an exact sign-flip p-value corrected over the methods, and the smallest detectable effect
/// (<see cref="PairedDifference"/>). Models that stopped at the epoch cap short of the criterion leave with their pair.
/// </summary>
public sealed class MethodEffectsSection : IReportSection
{
    /// <summary>The label of the baseline point.</summary>
    public const string Baseline = "plain";

    /// <summary>The metrics the config's step method sets out to lower, as it declares them (<see cref="StepMethodInfo.Lowers"/>).</summary>
    public static IReadOnlyList<string> OwnMetrics(TrainConfig config) => config.RegularizerSettings.Method.Lowers(config.RegularizerSettings);

    /// <inheritdoc />
    public void Write(StringBuilder md, ReportInput input)
    {
        string axis = input.Spec.Name;
        // A model short of its training criterion is not at the same point as its pair: both leave the comparison, named.
        var capped = input.Results.Where(r => r.HitCap).ToList();
        var bySeed = input.Results.Where(r => r.Coordinates.GetValueOrDefault(axis) == Baseline && !r.HitCap).ToDictionary(r => r.Config.Seed);
        if (!input.Results.Any(r => r.Coordinates.GetValueOrDefault(axis) == Baseline)) return;
        var rows = new List<(string Method, string Setting, List<ModelResult> Models, List<ModelResult> Plain, PairedDifference HeldOut)>();
        foreach (var group in input.Results.Where(r => r.Coordinates.GetValueOrDefault(axis) is { } label && label != Baseline).GroupBy(r => r.Coordinates[axis]))
        {
            var pairs = group.Where(r => !r.HitCap && bySeed.ContainsKey(r.Config.Seed)).ToList();
            if (pairs.Count == 0) continue;
            var plain = pairs.Select(r => bySeed[r.Config.Seed]).ToList();
            rows.Add((group.Key, pairs[0].Config.RegularizerSettings.Describe(), pairs, plain,
                PairedDifference.Of(pairs.Select(r => 100 * r.HeldOutError.Error).ToList(), plain.Select(r => 100 * r.HeldOutError.Error).ToList())));
        }
        var q = Statistics.BenjaminiHochberg.Adjust(rows.Select(r => r.HeldOut.SignFlipP).ToList());
        int heldOut = input.Results.Max(r => r.HeldOutError.Samples);
        bool unseen = input.Results.Any(r => r.Unseen is not null);
        md.AppendLine("## Each method against plain training");
        md.AppendLine();
        md.AppendLine($"Differences paired by seed (method − plain, same initialisation, subset and data order), mean over seeds with a 95% Student-t interval; † marks an interval that excludes 0. {bySeed.Count} plain model(s). "
            + $"Held-out error: on {heldOut} images{(unseen ? " (the test split and the training images no model saw, pooled)" : " (the test split)")}; "
            + "p: exact two-sided sign-flip test of its paired differences, q: Benjamini–Hochberg over the methods; detectable: the smallest Δ held-out error a paired t-test finds at α = 0.05 with 80% power given these seeds' spread. "
            + "A method's own metric as measured on both (relative change in % of plain's mean).");
        md.AppendLine();
        if (capped.Count > 0)
        {
            md.AppendLine($"Excluded (stopped at the epoch cap short of the criterion, with their pair): {string.Join(", ", capped.Select(r => $"{r.Name} (train loss {F(r.TrainLoss)})"))}.");
            md.AppendLine();
        }
        md.AppendLine("| method | seeds | held-out err % | Δ held-out err (pp) | p | q | detectable (pp) | Δ test err (pp) | Δ error gap (pp) | Δ test loss | own metric | Δ own metric (%) |");
        md.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        for (int i = 0; i < rows.Count; i++)
        {
            var (method, setting, pairs, plain, held) = rows[i];
            var error = PairedDifference.Of(pairs.Select(r => 100 * r.TestError).ToList(), plain.Select(r => 100 * r.TestError).ToList());
            var gap = PairedDifference.Of(pairs.Select(r => r.ErrorGap).ToList(), plain.Select(r => r.ErrorGap).ToList());
            var loss = PairedDifference.Of(pairs.Select(r => r.TestLoss).ToList(), plain.Select(r => r.TestLoss).ToList());
            var own = OwnMetrics(pairs[0].Config).Select(id => OwnChange(id, pairs, plain)).OfType<(string Id, string Cell)>().ToList();
            md.AppendLine($"| {method} (`{setting}`) | {pairs.Count} | {F(pairs.Average(r => 100 * r.HeldOutError.Error), "F2")} | {Cell(held)} | {F(held.SignFlipP, "G2")} | {F(q[i], "G2")} | {F(held.MinimumDetectable, "F2")} | {Cell(error)} | {Cell(gap)} | {Cell(loss, "G3")} | "
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
