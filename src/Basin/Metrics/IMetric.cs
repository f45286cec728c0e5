namespace Basin.Metrics;

/// <summary>How expensive a metric is, for choosing what to run.</summary>
public enum CostClass
{
    /// <summary>A few passes over the data.</summary>
    Cheap,

    /// <summary>Tens of gradients or curvature products.</summary>
    Moderate,

    /// <summary>Hundreds of curvature products or per-sample gradients.</summary>
    Expensive,
}

/// <summary>One generalization metric of <c>shared/spec/metrics.md</c>, identified by its id there.</summary>
public interface IMetric
{
    /// <summary>The public id, exactly as in the spec (e.g. <c>hessian.trace</c>).</summary>
    string Id { get; }

    /// <summary>One line: what it measures.</summary>
    string Description { get; }

    /// <summary>The paper and equation it implements.</summary>
    string Source { get; }

    /// <summary>Its cost class.</summary>
    CostClass Cost { get; }

    /// <summary>Whether it runs only when named: <c>all</c> leaves it out (it trains something, or is slow).</summary>
    bool OptIn => false;

    /// <summary>
    /// The id of the metric this one is a function of, when it orders a population (nearly) as that one does — e.g.
    /// Tr H / P and Tr H — so that a ranking does not count it as separate evidence; null for an independent metric.
    /// </summary>
    string? DerivedFrom => null;

    /// <summary>Why the metric does not apply to the context's model or loss (null when it does); the registry then reports it as not applicable instead of a number.</summary>
    string? NotApplicable(MetricContext context) => null;

    /// <summary>Computes the metric; shared inputs come from, and are cached in, <paramref name="context"/>.</summary>
    MetricResult Compute(MetricContext context);
}
