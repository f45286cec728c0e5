using Basin.Estimators;
using System.Globalization;

namespace Basin.Metrics;

/// <summary>The common part of every metric: its registry entry and the shape of its result.</summary>
public abstract class Metric(string id, string description, string source, CostClass cost) : IMetric
{
    /// <inheritdoc />
    public string Id { get; } = id;

    /// <inheritdoc />
    public string Description { get; } = description;

    /// <inheritdoc />
    public string Source { get; } = source;

    /// <inheritdoc />
    public CostClass Cost { get; } = cost;

    /// <inheritdoc />
    public virtual bool OptIn => false;

    /// <inheritdoc />
    public virtual MetricRole Role => MetricRole.Measure;

    /// <inheritdoc />
    public virtual string? DerivedFrom => null;

    /// <inheritdoc />
    public virtual IReadOnlyList<MetricInput> Inputs(MeasureSettings settings) => [];

    /// <inheritdoc />
    public virtual string? NotApplicable(MetricContext context) => null;

    /// <inheritdoc />
    public abstract MetricResult Compute(MetricContext context);

    /// <summary>A result charged with the context's current cost (the runner adds the time).</summary>
    protected MetricResult Result(MetricContext context, double value, double standardError, IEnumerable<(string Key, object Value)>? settings = null, IEnumerable<(string Key, double Value)>? terms = null) =>
        new(Id, value, standardError, context.Ledger.Current, 0,
            (settings ?? []).ToDictionary(s => s.Key, s => Convert.ToString(s.Value, CultureInfo.InvariantCulture) ?? ""),
            (terms ?? []).ToDictionary(t => t.Key, t => t.Value));
}
