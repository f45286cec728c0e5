namespace Basin.Metrics;

/// <summary>
/// An input that metrics share — a set of Hutchinson probes, a Lanczos or SLQ run, the Fisher subsets — computed once per
/// <see cref="MetricContext"/> however many metrics read it, so counted once in a cost preview. Each is declared once, in the
/// file of the code that computes it; a metric lists those it reads (<see cref="IMetric.Inputs"/>).
/// </summary>
/// <param name="Name">What it is, for previews and messages.</param>
/// <param name="Cost">
/// What it spends under settings, on a number of measured samples of a model with a number of output-Hessian factors (its
/// outputs; 1 for the exponential loss): curvature products and per-sample gradients.
/// </param>
public sealed record MetricInput(string Name, Func<MeasureSettings, long, int, (long Products, long PerSampleGradients)> Cost)
{
    /// <summary>An input that costs <paramref name="products"/> curvature products under the settings.</summary>
    public static MetricInput Products(string name, Func<MeasureSettings, long> products) => new(name, (s, _, _) => (products(s), 0));
}
