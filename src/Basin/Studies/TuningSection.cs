using System.Text;
using static Basin.Studies.StudyReport;

namespace Basin.Studies;

/// <summary>
/// On a population that tries some step method at several strengths and measured a validation split
/// (<see cref="Training.TrainConfig.Validation"/>; the <c>regularizers-tuning</c> study): each setting's mean validation
/// error over its seeds, and the one chosen by the rule fixed before the run — the lowest mean validation error among the
/// settings whose every model met the training criterion. The test split plays no part in the choice.
/// </summary>
public sealed class TuningSection : IReportSection
{
    /// <summary>One setting: the step method's name, its text, its models' validation errors (%), and whether all met the criterion.</summary>
    /// <param name="Method">The method's name.</param>
    /// <param name="Text">The setting as written (<see cref="Training.TrainConfig.Regularizer"/>).</param>
    /// <param name="Errors">Validation error of each model, in %.</param>
    /// <param name="AllMet">Whether every model met its training criterion.</param>
    public sealed record Setting(string Method, string Text, IReadOnlyList<double> Errors, bool AllMet)
    {
        /// <summary>Mean validation error, %.</summary>
        public double Mean => Errors.Average();

        /// <summary>Its standard error over seeds (NaN for one model).</summary>
        public double StandardError => Errors.Count < 2 ? double.NaN : Math.Sqrt(Errors.Sum(e => (e - Mean) * (e - Mean)) / (Errors.Count - 1) / Errors.Count);
    }

    /// <summary>The settings of each method with a validation split, grouped; methods tried at one setting only are left out.</summary>
    public static IReadOnlyList<Setting> Settings(IReadOnlyList<ModelResult> results) =>
        results.Where(r => r.Validation is not null && r.Config.Regularizer is not null)
            .GroupBy(r => r.Config.Regularizer!)
            .Select(g => new Setting(g.First().Config.RegularizerSettings.Name, g.Key, g.Select(r => 100 * r.Validation!.Error).ToList(), g.All(r => !r.HitCap)))
            .GroupBy(s => s.Method).Where(g => g.Count() > 1).SelectMany(g => g).ToList();

    /// <summary>The chosen setting of each method: the lowest mean validation error among those whose models all met the criterion (none when no setting did).</summary>
    public static IReadOnlyDictionary<string, Setting> Chosen(IReadOnlyList<Setting> settings) =>
        settings.Where(s => s.AllMet).GroupBy(s => s.Method).ToDictionary(g => g.Key, g => g.MinBy(s => s.Mean)!);

    /// <inheritdoc />
    public void Write(StringBuilder md, ReportInput input)
    {
        var settings = Settings(input.Results);
        if (settings.Count == 0) return;
        var chosen = Chosen(settings);
        var plain = input.Results.Where(r => r.Validation is not null && r.Config.Regularizer is null).Select(r => 100 * r.Validation!.Error).ToList();
        int images = input.Results.First(r => r.Validation is not null).Validation!.Samples;
        md.AppendLine("## Strengths chosen on the validation split");
        md.AppendLine();
        md.AppendLine($"Validation error on {images} training images that no model trained on and that are not counted as test data, mean ± standard error over seeds. "
            + "Chosen (✓): the lowest mean among the settings whose every model met the training criterion — the rule fixed before the run; the test split takes no part."
            + (plain.Count > 0 ? $" Plain training: {F(plain.Average(), "F2")}%." : ""));
        md.AppendLine();
        md.AppendLine("| method | setting | models | all met criterion | validation err % | chosen |");
        md.AppendLine("| --- | --- | --- | --- | --- | --- |");
        foreach (var s in settings)
            md.AppendLine($"| {s.Method} | `{s.Text}` | {s.Errors.Count} | {(s.AllMet ? "yes" : "no")} | {F(s.Mean, "F2")}{(double.IsFinite(s.StandardError) ? " ± " + F(s.StandardError, "F2") : "")} | {(chosen.TryGetValue(s.Method, out var c) && c == s ? "✓" : "")} |");
        md.AppendLine();
    }
}
