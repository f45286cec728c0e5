using System.Globalization;

namespace Basin.Training;

/// <summary>
/// A step method named on the command line or in a study spec as <c>NAME[:key=value,…]</c>, with its keys
/// checked against the method's table: <c>trace</c>, <c>fisher</c>, <c>perturbed</c>, <c>sam</c>, <c>asam</c>
/// (or <c>none</c>, plain training). Unknown names, keys and out-of-range values are one clear line each.
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
    public static RegularizerSettings None { get; } = new("none", [], "none");

    /// <summary>The methods with what each is and its keys (default, range).</summary>
    public static IReadOnlyDictionary<string, (string Summary, Key[] Keys)> Methods { get; } = new Dictionary<string, (string, Key[])>
    {
        ["none"] = ("plain training", []),
        ["trace"] = ("η Tr C_B(w) penalty, one Rademacher probe per step (seed 000 §6)",
            [new("eta", 3e-4, 0, 1), new("curvature", Words: ["ggn", "hessian"])]),
        ["fisher"] = ("Fisher-trace regulariser R_α (seed 001 §6, Algorithm 1)",
            [new("alpha", 1e-4, 0, 1), new("beta", 50, 0, 1e4), new("m", 8, 1, 1024), new("clip", 5, 0, 1e6)]),
        ["perturbed"] = ("perturbed optimisation around any optimiser (seed 003 §8, Algorithm 1)",
            [new("eta", 100, 0, 1e9), new("gamma", 0.1, 0, 1e3), new("beta1", 0.999, 0, 0.999999), new("beta2", 0.1, 0, 1e6), new("eps", 1e-5, 0, 1)]),
        ["sam"] = ("sharpness-aware minimisation (Foret et al. 2021)", [new("rho", 0.05, 0, 100)]),
        ["asam"] = ("adaptive SAM, ascent scaled by |w| + η (Kwon et al. 2021)", [new("rho", 0.5, 0, 100), new("eta", 0.01, 0, 10)]),
    };

    /// <summary>Parses <c>NAME[:key=value,…]</c>.</summary>
    /// <exception cref="FormatException">Unknown method or key, a value that is not a number or out of range.</exception>
    public static RegularizerSettings Parse(string text)
    {
        string trimmed = text.Trim();
        int colon = trimmed.IndexOf(':', StringComparison.Ordinal);
        string name = (colon < 0 ? trimmed : trimmed[..colon]).ToLowerInvariant();
        if (!Methods.TryGetValue(name, out var method))
            throw new FormatException($"unknown regularizer '{name}'; known: {string.Join(", ", Methods.Keys)}");
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (colon >= 0)
        {
            foreach (var pair in trimmed[(colon + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                var parts = pair.Split('=', 2);
                string key = parts[0].Trim();
                var spec = method.Keys.FirstOrDefault(k => k.Name == key)
                    ?? throw new FormatException($"regularizer {name} has no key '{key}'" + (method.Keys.Length > 0 ? $"; keys: {string.Join(", ", method.Keys.Select(k => k.Name))}" : " (it takes none)"));
                if (parts.Length < 2 || parts[1].Trim().Length == 0) throw new FormatException($"regularizer {name}: '{key}' needs a value ({key}=…)");
                values[key] = spec.Check(name, parts[1].Trim());
            }
        }
        return new RegularizerSettings(name, values, trimmed);
    }

    /// <summary>The numeric value of <paramref name="key"/>, or its default.</summary>
    public double Number(string key)
    {
        var spec = Methods[Name].Keys.First(k => k.Name == key);
        return values.TryGetValue(key, out var v) ? double.Parse(v, CultureInfo.InvariantCulture) : spec.Default;
    }

    /// <summary>The word value of <paramref name="key"/>, or its first allowed word.</summary>
    public string Word(string key) => values.TryGetValue(key, out var v) ? v : Methods[Name].Keys.First(k => k.Name == key).Words![0];

    /// <summary>Every key with the value in use (given or default), for reports.</summary>
    public string Describe() => Name + (Methods[Name].Keys.Length == 0 ? "" : ":" + string.Join(",", Methods[Name].Keys.Select(k =>
        $"{k.Name}={(k.Words is null ? Number(k.Name).ToString("G6", CultureInfo.InvariantCulture) : Word(k.Name))}")));

    /// <summary>One key of a method: a number in [<paramref name="Min"/>, <paramref name="Max"/>] or one of <paramref name="Words"/>.</summary>
    public sealed record Key(string Name, double Default = 0, double Min = 0, double Max = 0, string[]? Words = null)
    {
        internal string Check(string method, string value)
        {
            if (Words is not null)
                return Words.Contains(value) ? value : throw new FormatException($"regularizer {method}: {Name} must be one of {string.Join(", ", Words)}, got '{value}'");
            if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double x) || !double.IsFinite(x))
                throw new FormatException($"regularizer {method}: {Name} must be a number, got '{value}'");
            if (x < Min || x > Max) throw new FormatException($"regularizer {method}: {Name} must be in [{Min.ToString(CultureInfo.InvariantCulture)}, {Max.ToString(CultureInfo.InvariantCulture)}], got {value}");
            if (Name == "m" && x != Math.Floor(x)) throw new FormatException($"regularizer {method}: m must be a whole number of sub-batches, got {value}");
            return value;
        }
    }
}
