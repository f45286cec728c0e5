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
        // JSON may leave any reference null ("name": null, a key left out): each is named here, before anything reads it.
        if (Models is null) throw new ArgumentException("the study has no \"models\"");
        for (int i = 0; i < Models.Count; i++)
        {
            if (Models[i] is not { } m) throw new ArgumentException($"model {i} is null");
            if (m.Name is null) throw new ArgumentException($"model {i} has no \"name\"");
            if (m.Config is null) throw new ArgumentException($"model '{m.Name}' has no \"config\"");
            if (m.Coordinates is null || m.Coordinates.Any(c => c.Value is null)) throw new ArgumentException($"model '{m.Name}' has no \"coordinates\" (or a null one)");
        }
        if (Name is null || Preset is null || Metrics is null || Measure is null)
            throw new ArgumentException($"the study has no \"{(Name is null ? "name" : Preset is null ? "preset" : Metrics is null ? "metrics" : "measure")}\"");
        if (Models.Count < 2) throw new ArgumentException($"a study needs at least two models, got {Models.Count}");
        var duplicate = Models.GroupBy(m => m.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"two models are named '{duplicate.Key}'");
        foreach (var m in Models)
        {
            if (m.Name.Length == 0 || m.Name.StartsWith('.') || m.Name.Any(c => !(char.IsLetterOrDigit(c) || c is '-' or '_' or '.' or '=' or '+')))
                throw new ArgumentException($"model name '{m.Name}' must be letters, digits, '-', '_', '.', '=', '+' and not start with '.' (it names a folder inside the study)");
            try { m.Config.Validate(); }
            catch (ArgumentException e) { throw new ArgumentException($"model '{m.Name}': {e.Message}", e); }
        }
        MetricRegistry.Select(Metrics);
        Measure.Validate();
        if (MeasureSamples < 2) throw new ArgumentException("measure on at least 2 samples");
    }

    /// <summary>The JSON form.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Options);

    /// <summary>Reads the JSON form; with <paramref name="strict"/> (a spec a user wrote) a key that names no setting is an error naming the nearest one.</summary>
    /// <exception cref="JsonException">Malformed, or (strict) an unknown key.</exception>
    public static StudySpec FromJson(string json, bool strict = false)
    {
        try
        {
            var spec = JsonSerializer.Deserialize<StudySpec>(json, strict ? StrictOptions : Options) ?? throw new JsonException("empty study spec");
            // A study saved before 2026-12-01 has no pac_gen_diagonal: its pacgen used the Hessian diagonal setting.
            if (!strict && System.Text.Json.Nodes.JsonNode.Parse(json)?["measure"] is System.Text.Json.Nodes.JsonObject measure)
            {
                if (!measure.ContainsKey("pac_gen_diagonal")) spec = spec with { Measure = spec.Measure with { PacGenDiagonal = spec.Measure.Diagonal } };
                // Nor ρ perturbations and Keskar starts: one of each.
                if (!measure.ContainsKey("pac_gen_perturbations")) spec = spec with { Measure = spec.Measure with { PacGenPerturbations = null } };
                if (!measure.ContainsKey("keskar_restarts")) spec = spec with { Measure = spec.Measure with { KeskarRestarts = null } };
            }
            return spec;
        }
        catch (JsonException e) when (strict && UnknownKey(e.Message) is { } key)
        {
            throw new JsonException($"unknown key '{key}'{Nearest(key)}", e);
        }
    }

    internal static readonly JsonSerializerOptions Options = new(TrainConfig.JsonOptions) { WriteIndented = true };

    private static readonly JsonSerializerOptions StrictOptions = new(Options) { UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow };

    private static string? UnknownKey(string message)
    {
        var match = System.Text.RegularExpressions.Regex.Match(message, "JSON property '([^']+)' could not be mapped");
        return match.Success ? match.Groups[1].Value : null;
    }

    /// <summary>"; did you mean 'x'?" for the known key nearest to <paramref name="key"/> in edit distance (within 3 edits).</summary>
    private static string Nearest(string key)
    {
        var known = new[] { typeof(StudySpec), typeof(StudyModel), typeof(TrainConfig), typeof(OptimizerSettings), typeof(MeasureSettings) }
            .SelectMany(t => t.GetProperties()).Select(p => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name)).Distinct();
        var (best, distance) = known.Select(k => (k, Distance(k, key))).MinBy(x => x.Item2);
        return distance <= 3 ? $"; did you mean '{best}'?" : "";
    }

    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
            for (int j = 1; j <= b.Length; j++)
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
        return d[a.Length, b.Length];
    }

    /// <summary>Formats an axis value for names and tables.</summary>
    public static string Format(double value) => value.ToString("G4", CultureInfo.InvariantCulture);
}
