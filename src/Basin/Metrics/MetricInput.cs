namespace Basin.Metrics;

/// <summary>
/// An input that metrics share — a set of Hutchinson probes, a Lanczos or SLQ run, the Fisher subsets — computed once per
/// <see cref="MetricContext"/> however many metrics read it, so counted once in a cost preview. Each is declared once, in the
/// file of the code that computes it; a metric lists those it reads (<see cref="IMetric.Inputs"/>).
/// </summary>
/// <param name="Name">What it is, for previews and messages.</param>
/// <param name="Cost">
/// What it spends under settings, on a number of measured samples of a model with a number of output-Hessian factors (its
/// outputs; 1 for the exponential loss): curvature products, per-sample gradients, and full passes over the measured samples
/// (gradients, forward passes).
/// </param>
public record MetricInput(string Name, Func<MeasureSettings, long, int, MetricCost> Cost)
{
    /// <summary>
    /// The bytes it holds while it is computed, beyond the model and its operators (a Lanczos basis, a per-sample gradient matrix),
    /// under settings for a model of a shape: what a memory preview compares with the machine's; nothing by default.
    /// </summary>
    public Func<MeasureSettings, ModelShape, long> Memory { get; init; } = (_, _) => 0;

    /// <summary>The operator its curvature products are of: a preview times each operator's product (the GGN's and the Fisher's may be several times cheaper than the Hessian's).</summary>
    public ProductKind Operator { get; init; } = ProductKind.Hessian;

    /// <summary>Whether its products are of an operator it makes itself (on other data: the Laplace metric's mini-batch), so that the context's may be freed before it runs.</summary>
    public bool OwnOperator { get; init; }

    /// <summary>
    /// Another input that serves this one when both are read and the condition holds under the settings (the first start of an SLQ
    /// run is a Lanczos run carried further): a plan then counts only the other, and the metric reads it instead.
    /// </summary>
    public (MetricInput By, Func<MeasureSettings, bool> When)? ServedBy { get; init; }

    /// <summary>Whether another input serves this one under <paramref name="settings"/> when <paramref name="present"/> says which inputs are read.</summary>
    public bool IsServed(MeasureSettings settings, Func<MetricInput, bool> present) => ServedBy is var (by, when) && when(settings) && present(by);

    /// <summary>An input that costs <paramref name="products"/> curvature products under the settings.</summary>
    public static MetricInput Products(string name, Func<MeasureSettings, long> products) => new(name, (s, _, _) => new MetricCost(CurvatureProducts: products(s)));

    /// <summary>An input of Lanczos runs of <paramref name="steps"/> steps (one at a time): it costs a product a step and holds their basis.</summary>
    public static MetricInput LanczosRuns(string name, Func<MeasureSettings, long> products, Func<MeasureSettings, int> steps) =>
        Products(name, products) with { Memory = (s, shape) => Estimators.Lanczos.BasisBytes(steps(s), shape.Parameters, shape.ValueBytes) };
}

/// <summary>The curvature operator a product is of, for the pace a preview times.</summary>
public enum ProductKind
{
    /// <summary>A Hessian-vector product.</summary>
    Hessian,

    /// <summary>A generalized Gauss-Newton product.</summary>
    Ggn,

    /// <summary>An empirical-Fisher product.</summary>
    Fisher,
}

/// <summary>What a memory preview needs of the model: its trainable parameters P, the bytes of one of its values, and whether its per-sample gradients come by the loop.</summary>
/// <param name="Parameters">P.</param>
/// <param name="ValueBytes">4 for float32, 8 for float64.</param>
/// <param name="PerSampleLoop">Whether per-sample gradients are taken one sample at a time (opaque layers: no batched copy beside the matrix).</param>
public sealed record ModelShape(long Parameters, int ValueBytes, bool PerSampleLoop);

/// <summary>
/// A shared input that a context computes: declared once, with its cost and its computation, in the file of the code that
/// computes it; <see cref="MetricContext.Get{T}"/> computes it on first use (charging the metric that asked) and hands the same
/// value to every later metric.
/// </summary>
/// <typeparam name="T">What it is (a probe summary, an SLQ run, the Fisher subsets, …); owned by the context when disposable.</typeparam>
/// <param name="Name">What it is, for previews and messages.</param>
/// <param name="Cost">What it spends (see <see cref="MetricInput"/>).</param>
/// <param name="Compute">How a context computes it.</param>
public sealed record SharedInput<T>(string Name, Func<MeasureSettings, long, int, MetricCost> Cost, Func<MetricContext, T> Compute)
    : MetricInput(Name, Cost)
{
    /// <summary>The same input holding <paramref name="memory"/> bytes while it is computed.</summary>
    public SharedInput<T> Holding(Func<MeasureSettings, ModelShape, long> memory) => this with { Memory = memory };
}
