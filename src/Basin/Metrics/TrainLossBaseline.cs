namespace Basin.Metrics;

/// <summary>
/// <c>baseline.train_loss</c>: the mean training cross-entropy L(w) on the measured samples — the zero-cost bar every
/// measure must clear (Jiang et al. 2020 §6; Dziugaite et al. 2020). Exact: standard error 0.
/// </summary>
public sealed class TrainLossBaseline() : Metric(MetricId, "training loss L(w) on the measured samples", "Jiang et al. 2020 §6 (baseline)", CostClass.Cheap)
{
    /// <summary>Its id, <c>baseline.train_loss</c>.</summary>
    public const string MetricId = "baseline.train_loss";

    /// <inheritdoc />
    public override MetricRole Role => MetricRole.Baseline;

    /// <inheritdoc />
    public override MetricResult Compute(MetricContext context) => Result(context, context.Loss, 0, [("samples", context.N)]);
}
