namespace Basin.Bounds;

/// <summary>A bound's value and its named terms (empirical term, complexity term, intermediate quantities).</summary>
/// <param name="Value">The bound.</param>
/// <param name="Terms">Its terms, in the order a report lists them.</param>
public sealed record BoundValue(double Value, IReadOnlyList<(string Key, double Value)> Terms);
