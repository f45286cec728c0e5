using System.Text.Json;
using System.Text.Json.Nodes;

namespace Basin.Studies;

/// <summary>
/// A model's saved <c>result.json</c>, read back and checked before a report or a resumed study uses it: the fields a
/// report reads are there, the result is of the model whose folder holds it and of the config the study gives that
/// model, and every loss and error is a finite number in its range (a NaN is named, never carried into the ranking).
/// </summary>
internal static class SavedResult
{
    /// <summary>The fields of a saved result that reports read.</summary>
    private static readonly string[] RequiredFields = ["name", "coordinates", "config", "log", "train_loss", "train_error", "test_loss", "test_error", "metrics"];

    /// <summary>Reads the result at <paramref name="path"/> of <paramref name="model"/>.</summary>
    /// <exception cref="InvalidDataException">Damaged, or contradicting the study; one line that names the field.</exception>
    public static ModelResult Load(string path, StudyModel model)
    {
        ModelResult result;
        try
        {
            string json = File.ReadAllText(path);
            // A field a report reads must be there: a missing one would otherwise be reported as 0.
            var node = JsonNode.Parse(json) as JsonObject ?? throw new JsonException("not a JSON object");
            if (RequiredFields.FirstOrDefault(f => node[f] is null) is { } missing) throw new JsonException($"the field '{missing}' is missing");
            result = JsonSerializer.Deserialize<ModelResult>(json, StudySpec.Options) ?? throw new JsonException("empty");
            if (result.Log.Count == 0) throw new JsonException("the training log is empty");
            if (Contradiction(result, model) is { } why) throw new JsonException(why);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path}: damaged result ({e.Message}); delete it to measure the model again", e);
        }
        return result;
    }

    private static string? Contradiction(ModelResult result, StudyModel model)
    {
        if (result.Name != model.Name) return $"it is the result of model '{result.Name}', but its folder is model '{model.Name}''s";
        if (result.Config is null || result.Config.ToJson() != model.Config.ToJson()) return $"its training config is not the one study.json gives model '{model.Name}'";
        foreach (var (field, value, max) in new[] { ("train_loss", result.TrainLoss, double.PositiveInfinity), ("test_loss", result.TestLoss, double.PositiveInfinity), ("train_error", result.TrainError, 1.0), ("test_error", result.TestError, 1.0) })
            if (!(value >= 0 && value <= max) || double.IsInfinity(value))
                return $"'{field}' is {value.ToString(System.Globalization.CultureInfo.InvariantCulture)}, not a number in [0, {(double.IsInfinity(max) ? "∞" : "1")}]";
        if (result.TestSamples < 0) return $"'test_samples' is {result.TestSamples}";
        if (result.Coordinates is null || result.Log.Any(l => l is null)) return "'coordinates' or a log entry is null";
        if (result.Log.FirstOrDefault(l => !(double.IsFinite(l.TrainLoss) && double.IsFinite(l.TestLoss) && l.TrainError is >= 0 and <= 1 && l.TestError is >= 0 and <= 1)) is { } epoch)
            return $"the log's epoch {epoch.Epoch} holds a loss that is not finite or an error outside [0, 1]";
        if (result.Metrics?.FirstOrDefault(m => m is not null && (m.Settings is null || m.Terms is null || m.Cost is null)) is { } bare) return $"metric '{bare.Id}' has no settings, terms or cost";
        if (result.Landscape is { } l && (l.X is not { Length: > 0 } || l.Y is not { Length: > 0 } || l.Loss is null || l.Loss.Length != l.X.Length || l.Loss.Any(r => r is null || r.Length != l.Y.Length)))
            return "its landscape's loss grid is not |x| rows of |y| values";
        if (result.Density is null || result.Density.Any(d => d is null) || result.Subsampling is null || result.Subsampling.Any(r => r is null)) return "'density' or 'subsampling' holds a null";
        if (result.Metrics is null || result.Metrics.Any(m => m is null || string.IsNullOrEmpty(m.Id))) return "a metric has no id";
        if (result.Metrics.GroupBy(m => m.Id).FirstOrDefault(g => g.Count() > 1) is { } twice) return $"metric '{twice.Key}' is there twice";
        return null;
    }
}
