using System.Globalization;

namespace Basin.Training;

/// <summary>
/// One setting of a step method, written <c>key=value</c> after its name: a number in [<paramref name="Min"/>, <paramref name="Max"/>]
/// with a default (a whole number when <paramref name="Whole"/>), or one of <paramref name="Words"/> (the first is the default).
/// </summary>
public sealed record StepMethodKey(string Name, double Default = 0, double Min = 0, double Max = 0, string[]? Words = null, bool Whole = false)
{
    /// <summary>The default as text: the number, or the first word.</summary>
    public string DefaultText => Words is null ? Default.ToString("G6", CultureInfo.InvariantCulture) : Words[0];

    /// <summary><paramref name="value"/> when it suits the key; the method's <paramref name="method"/> name goes into the message otherwise.</summary>
    /// <exception cref="FormatException">Not one of the words, not a number, out of range, or not whole when it must be.</exception>
    public string Check(string method, string value)
    {
        if (Words is not null)
            return Words.Contains(value) ? value : throw new FormatException($"regularizer {method}: {Name} must be one of {string.Join(", ", Words)}, got '{value}'");
        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double x) || !double.IsFinite(x))
            throw new FormatException($"regularizer {method}: {Name} must be a number, got '{value}'");
        if (x < Min || x > Max) throw new FormatException($"regularizer {method}: {Name} must be in [{Min.ToString(CultureInfo.InvariantCulture)}, {Max.ToString(CultureInfo.InvariantCulture)}], got {value}");
        if (Whole && x != Math.Floor(x)) throw new FormatException($"regularizer {method}: {Name} must be a whole number, got {value}");
        return value;
    }
}
