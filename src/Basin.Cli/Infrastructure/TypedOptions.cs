using System.Globalization;

namespace Basin.Cli.Infrastructure;

/// <summary>
/// A value option declared once — its name, help, default and what it accepts — from which come its help line (the default
/// written in by <see cref="Declaration"/>: <c>{default}</c> in the help, or "(default …)" after it), its completions and the
/// checked reading of its value. A command keeps its options as static fields and reads each with <c>Read(args)</c>; the
/// default lives in one place, most often the library's settings record (<c>new MeasureSettings().TraceProbes</c>).
/// </summary>
internal abstract record TypedOption(string Name, string Help)
{
    /// <summary>The default as the help shows it.</summary>
    public abstract string DefaultText { get; }

    /// <summary>The declaration <see cref="Arguments"/> takes, with the default in the help.</summary>
    public (string Name, bool IsFlag, string Help) Declaration =>
        (Name, false, Help.Contains("{default}", StringComparison.Ordinal) ? Help.Replace("{default}", DefaultText, StringComparison.Ordinal)
            : DefaultText.Length == 0 ? Help : $"{Help} (default {DefaultText})");
}

/// <summary>
/// A whole-number option within [<paramref name="Min"/>, <paramref name="Max"/>]; <paramref name="DefaultWords"/> replaces the number in
/// help when the default means something else ("" for an option with no default to show, such as an index).
/// </summary>
internal sealed record IntOption(string Name, string Help, int Default, int Min, int Max = int.MaxValue, string? DefaultWords = null) : TypedOption(Name, Help)
{
    /// <inheritdoc />
    public override string DefaultText => DefaultWords ?? Default.ToString(CultureInfo.InvariantCulture);

    /// <summary>The value given, or the default; one <see cref="UsageException"/> line when it is not a whole number in range.</summary>
    public int Read(Arguments args) => args.Int(Name, Default, Min, Max);

    /// <summary>The value given, or <paramref name="fallback"/> where the default depends on other options (the help says how).</summary>
    public int Read(Arguments args, int fallback) => args.Int(Name, fallback, Min, Max);
}

/// <summary>A finite number within [<paramref name="Min"/>, <paramref name="Max"/>]; <paramref name="DefaultWords"/> says what no value means when the default is "off".</summary>
internal sealed record NumberOption(string Name, string Help, double Default, double Min, double Max, string? DefaultWords = null) : TypedOption(Name, Help)
{
    /// <inheritdoc />
    public override string DefaultText => DefaultWords ?? Default.ToString("G6", CultureInfo.InvariantCulture);

    /// <summary>The value given, or the default.</summary>
    public double Read(Arguments args) => args.Double(Name, Default, Min, Max);

    /// <summary>The value given, or null when the option is absent (an option whose default is "off").</summary>
    public double? ReadOrNull(Arguments args) => args.Has(Name) ? args.Double(Name, Default, Min, Max) : null;
}

/// <summary>One word of <paramref name="Choices"/>, offered as completions; the first is not the default unless it is <paramref name="Default"/>.</summary>
internal sealed record ChoiceOption(string Name, string Help, string Default, IReadOnlyList<string> Choices) : TypedOption(Name, Help)
{
    /// <inheritdoc />
    public override string DefaultText => Default;

    /// <summary>The word given, or the default; one line naming the choices when it is none of them.</summary>
    public string Read(Arguments args) => args.String(Name, Default) is var value && Choices.Contains(value) ? value
        : throw new UsageException($"--{Name} must be {(Choices.Count == 1 ? Choices[0] : string.Join(", ", Choices.Take(Choices.Count - 1)) + " or " + Choices[^1])}, got '{value}'");
}

/// <summary>Free text (a spec, a path) with a default, checked by whoever parses it.</summary>
internal sealed record TextOption(string Name, string Help, string Default) : TypedOption(Name, Help)
{
    /// <inheritdoc />
    public override string DefaultText => Default;

    /// <summary>The text given, or the default.</summary>
    public string Read(Arguments args) => args.String(Name, Default);
}
