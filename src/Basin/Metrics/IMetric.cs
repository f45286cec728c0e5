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

/// <summary>
/// What a registered quantity is for in a ranking (metrics.md, "Baselines and oracles", revised 2026-12-03): a
/// <see cref="Measure"/> is judged; a <see cref="Baseline"/> is the cheap bar a measure must clear; an
/// <see cref="Oracle"/> reads the answer (the test error) with added noise, to calibrate what a score means, and is never a measure.
/// </summary>
public enum MetricRole
{
    /// <summary>A generalization measure, judged against the gap.</summary>
    Measure,

    /// <summary>A cheap baseline (training loss, norms, margin, …) a measure must beat to earn trust.</summary>
    Baseline,

    /// <summary>The answer plus noise: calibration, never a measure.</summary>
    Oracle,
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

    /// <summary>Its role in a ranking: a measure (the default), a baseline or an oracle.</summary>
    MetricRole Role => MetricRole.Measure;

    /// <summary>Whether it runs only when named: <c>all</c> leaves it out (it trains something, or is slow).</summary>
    bool OptIn => false;

    /// <summary>
    /// The id of the metric this one is a function of, when it orders a population (nearly) as that one does — e.g.
    /// Tr H / P and Tr H — so that a ranking does not count it as separate evidence; null for an independent metric.
    /// </summary>
    string? DerivedFrom => null;

    /// <summary>
    /// The shared inputs it reads under <paramref name="settings"/> (<see cref="MetricInput"/>: probes, Lanczos and SLQ runs, Fisher
    /// subsets), from which a <see cref="MeasurementPlan"/> counts its cost; none by default (a few passes over the data).
    /// </summary>
    IReadOnlyList<MetricInput> Inputs(MeasureSettings settings) => [];

    /// <summary>Why the metric does not apply to the context's model or loss (null when it does); the registry then reports it as not applicable instead of a number.</summary>
    string? NotApplicable(MetricContext context) => null;

    /// <summary>Computes the metric; shared inputs come from, and are cached in, <paramref name="context"/>.</summary>
    MetricResult Compute(MetricContext context);
}
