using Basin.Operators;

namespace Basin.Metrics;

/// <summary>
/// What the metric being computed has spent so far. A shared input (probes, Fisher subsets, a diagonal)
/// is charged to the metric that first needs it; the registry opens a new account per metric.
/// </summary>
public sealed class CostLedger
{
    /// <summary>The cost charged to the current metric.</summary>
    public MetricCost Current { get; private set; } = new();

    /// <summary>Opens a new account for the next metric.</summary>
    public void Begin() => Current = new MetricCost();

    /// <summary>Adds to the current metric's cost.</summary>
    public void Charge(MetricCost cost) => Current += cost;

    /// <summary>Runs <paramref name="compute"/> and charges the products it spent on <paramref name="op"/>.</summary>
    public T Counted<T>(ILinearOperator op, Func<T> compute)
    {
        long before = op.Products;
        var result = compute();
        Charge(new MetricCost(CurvatureProducts: op.Products - before));
        return result;
    }
}
