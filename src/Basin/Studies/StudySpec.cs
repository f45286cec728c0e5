using System.Globalization;
using System.Text.Json;
using Basin.Metrics;
using Basin.Training;

namespace Basin.Studies;

/// <summary>One model of a study: its name (a folder), its training config and its place on the study's axes.</summary>
public sealed record StudyModel(string Name, TrainConfig Config, Dictionary<string, string> Coordinates);

/// <summary>
/// A study: the population of models, the metrics measured on each, how they are measured, and on how
/// many training samples. Saved as <c>study.json</c>, so a study resumes and re-reports from its folder.
/// </summary>
public sealed record StudySpec
{
    /// <summary>A short name (the axis, or the spec file's name).</summary>
    public string Name { get; init; } = "study";

    /// <summary>The preset it was built from.</summary>
    public string Preset { get; init; } = "quick";

    /// <summary>The models.</summary>
    public List<StudyModel> Models { get; init; } = [];

    /// <summary>Metric ids (or <c>all</c>).</summary>
    public string Metrics { get; init; } = "all";

    /// <summary>Metric settings.</summary>
    public MeasureSettings Measure { get; init; } = new();

    /// <summary>Training samples each model is measured on (drawn with the model's seed).</summary>
    public int MeasureSamples { get; init; } = 2048;

    /// <summary>Checks names, configs and metric ids; throws <see cref="ArgumentException"/> with one clear line.</summary>
    public void Validate()
    {
        if (Models.Count < 2) throw new ArgumentException($"a study needs at least two models, got {Models.Count}");
        var duplicate = Models.GroupBy(m => m.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"two models are named '{duplicate.Key}'");
        foreach (var m in Models)
        {
            if (m.Name.Length == 0 || m.Name.Any(c => !(char.IsLetterOrDigit(c) || c is '-' or '_' or '.' or '=')))
                throw new ArgumentException($"model name '{m.Name}' must be letters, digits, '-', '_', '.', '='");
            try { m.Config.Validate(); }
            catch (ArgumentException e) { throw new ArgumentException($"model '{m.Name}': {e.Message}", e); }
        }
        MetricRegistry.Select(Metrics);
        Measure.Validate();
        if (MeasureSamples < 2) throw new ArgumentException("measure on at least 2 samples");
    }

    /// <summary>The JSON form.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Options);

    /// <summary>Reads the JSON form.</summary>
    /// <exception cref="JsonException">Malformed.</exception>
    public static StudySpec FromJson(string json) => JsonSerializer.Deserialize<StudySpec>(json, Options) ?? throw new JsonException("empty study spec");

    internal static readonly JsonSerializerOptions Options = new(TrainConfig.JsonOptions) { WriteIndented = true };

    /// <summary>Formats an axis value for names and tables.</summary>
    public static string Format(double value) => value.ToString("G4", CultureInfo.InvariantCulture);
}
