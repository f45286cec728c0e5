using System.Globalization;

namespace Basin.Training;

/// <summary>
/// A step method named on the command line or in a study spec as <c>NAME[:key=value,…]</c>, with its keys checked
/// against the method's own declaration (<see cref="StepMethodRegistry"/>). Unknown names, keys and out-of-range values
/// are one clear line each.
/// </summary>
public sealed class RegularizerSettings
{
    private readonly Dictionary<string, string> values;

    private RegularizerSettings(string name, Dictionary<string, string> values, string text)
    {
        Name = name;
        this.values = values;
        Text = text;
    }

    /// <summary>The method's name.</summary>
    public string Name { get; }

    /// <summary>The text it was parsed from.</summary>
    public string Text { get; }

    /// <summary>Plain training: the gradient of the mini-batch loss.</summary>
    public static RegularizerSettings None { get; } = new(StepMethodRegistry.Plain.Name, [], StepMethodRegistry.Plain.Name);

    /// <summary>The method these settings name, from <see cref="StepMethodRegistry"/>.</summary>
    public StepMethodInfo Method => StepMethodRegistry.Find(Name)!;

    /// <summary>Parses <c>NAME[:key=value,…]</c>.</summary>
    /// <exception cref="FormatException">Unknown method or key, a value that is not a number or out of range.</exception>
    public static RegularizerSettings Parse(string text)
    {
        string trimmed = text.Trim();
        int colon = trimmed.IndexOf(':', StringComparison.Ordinal);
        string name = (colon < 0 ? trimmed : trimmed[..colon]).ToLowerInvariant();
        var method = StepMethodRegistry.Find(name)
            ?? throw new FormatException($"unknown regularizer '{name}'; known: {string.Join(", ", StepMethodRegistry.All.Select(m => m.Name))}");
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (colon >= 0)
        {
            foreach (var pair in trimmed[(colon + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                var parts = pair.Split('=', 2);
                string key = parts[0].Trim();
                var spec = method.Keys.FirstOrDefault(k => k.Name == key)
                    ?? throw new FormatException($"regularizer {name} has no key '{key}'" + (method.Keys.Count > 0 ? $"; keys: {string.Join(", ", method.Keys.Select(k => k.Name))}" : " (it takes none)"));
                if (parts.Length < 2 || parts[1].Trim().Length == 0) throw new FormatException($"regularizer {name}: '{key}' needs a value ({key}=…)");
                values[key] = spec.Check(name, parts[1].Trim());
            }
        }
        return new RegularizerSettings(name, values, trimmed);
    }

    /// <summary>The numeric value of <paramref name="key"/>, or its default.</summary>
    public double Number(string key)
    {
        var spec = Method.Keys.First(k => k.Name == key);
        return values.TryGetValue(key, out var v) ? double.Parse(v, CultureInfo.InvariantCulture) : spec.Default;
    }

    /// <summary>The word value of <paramref name="key"/>, or its first allowed word.</summary>
    public string Word(string key) => values.TryGetValue(key, out var v) ? v : Method.Keys.First(k => k.Name == key).Words![0];

    /// <summary>Every key with the value in use (given or default), for reports.</summary>
    public string Describe() => Name + (Method.Keys.Count == 0 ? "" : ":" + string.Join(",", Method.Keys.Select(k =>
        $"{k.Name}={(k.Words is null ? Number(k.Name).ToString("G6", CultureInfo.InvariantCulture) : Word(k.Name))}")));
}
