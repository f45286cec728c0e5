namespace Basin.Metrics;

/// <summary>
/// <c>baseline.margin</c>: <c>1/γ₁₀</c>, γ₁₀ the 10th percentile of the output margins
/// <c>γ_i = f(x_i)[y_i] − max_{j≠y_i} f(x_i)[j]</c> over the measured samples (Jiang et al. 2020 eq. 22, the margin
/// measure, in metrics.md's 1/γ form). A larger value predicts a larger gap. γ₁₀ is a term; when γ₁₀ ≤ 0 (more than
/// a tenth of the samples misclassified) the margin measure is undefined and reported as not applicable.
/// </summary>
public sealed class MarginBaseline() : Metric(MetricId, "inverse 10th-percentile output margin 1/γ₁₀", "Jiang et al. 2020 eq. 22", CostClass.Cheap)
{
    /// <summary>Its id, <c>baseline.margin</c>.</summary>
    public const string MetricId = "baseline.margin";

    /// <inheritdoc />
    public override MetricRole Role => MetricRole.Baseline;

    /// <inheritdoc />
    public override string? NotApplicable(MetricContext context) => context.Model.Outputs < 2 ? "one output: no margin between classes" : null;

    /// <inheritdoc />
    public override MetricResult Compute(MetricContext context)
    {
        double gamma = OutputMargins.Percentile10(context);
        if (!(gamma > 0))
            return Result(context, double.NaN, double.NaN, [("not_applicable", $"γ₁₀ = {gamma:G4} ≤ 0: more than a tenth of the samples are misclassified")], [("gamma10", gamma)]);
        return Result(context, 1 / gamma, 0, [("percentile", 10), ("samples", context.N)], [("gamma10", gamma)]);
    }
}
