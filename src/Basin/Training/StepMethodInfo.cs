namespace Basin.Training;

/// <summary>
/// A step method as every consumer reads it — parsing of <c>NAME[:key=value,…]</c>, help, completion, studies and their
/// reports: its name, what it is and its paper, its keys with defaults and ranges, the metrics it sets out to lower, and how
/// to build it. Each method declares its own next to its code; <see cref="StepMethodRegistry"/> lists them.
/// </summary>
/// <param name="Name">The name on the command line and in study specs (lower case).</param>
/// <param name="Summary">One line: what it does and the paper it follows.</param>
/// <param name="Keys">Its settings.</param>
/// <param name="Create">Builds the method for parsed settings.</param>
public sealed record StepMethodInfo(string Name, string Summary, IReadOnlyList<StepMethodKey> Keys, Func<RegularizerSettings, StepMethod> Create)
{
    /// <summary>
    /// The metric ids the method sets out to lower under the given settings, its main one first (the <c>regularizers</c> study
    /// reports how much each moved); none by default.
    /// </summary>
    public Func<RegularizerSettings, IReadOnlyList<string>> Lowers { get; init; } = _ => [];

    /// <summary>The method's text with <paramref name="settings"/> (<c>key=value,…</c>) after its name, checked by parsing it.</summary>
    /// <exception cref="FormatException">A key the method does not have, or a value out of its range.</exception>
    public string With(string settings) => RegularizerSettings.Parse($"{Name}:{settings}").Text;
}
