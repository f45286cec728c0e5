using static TorchSharp.torch;

namespace Basin.Metrics;

/// <summary>
/// <c>hessian.diagonal</c>: h_i = ∂²L/∂w_i² by the configured estimator (Hutchinson E[v ⊙ Hv] by default;
/// exact, finite-difference (seed 004 eq. 61) or seed 003's squared-gradient EMA proxy). The value is
/// Σ h_i; the terms count the negative entries (the local-convexity assumption of seed 003's bounds).
/// </summary>
public sealed class HessianDiagonalMetric() : Metric(MetricId, "Hessian diagonal (value: its sum; negative entries counted)", "seed 003 §7; seed 004 eq. 61", CostClass.Moderate)
{
    /// <summary>Its id, <c>hessian.diagonal</c>.</summary>
    public const string MetricId = "hessian.diagonal";

    /// <inheritdoc />
    public override IReadOnlyList<MetricInput> Inputs(MeasureSettings settings) => settings.Diagonal == DiagonalEstimator.Hutchinson ? DeflationInput.With(settings, ProbeSummary.HessianInput) : [];

    /// <inheritdoc />
    /// <remarks>its value is the diagonal's sum, the trace (from the same probes by default).</remarks>
    public override string? DerivedFrom => HessianTrace.MetricId;

    /// <inheritdoc />
    public override MetricResult Compute(MetricContext context)
    {
        var d = context.HessianDiagonal;
        using var scope = NewDisposeScope();
        var h = d.Values.to(ScalarType.Float64);
        double se = d.StandardError is { } e ? e.square().sum().sqrt().item<double>() : double.NaN;
        return Result(context, h.sum().item<double>(), se, d.Settings.Select(s => (s.Key, (object)s.Value)),
            [("negative", h.lt(0).sum().item<long>()), ("min", h.min().item<double>()), ("max", h.max().item<double>())]);
    }
}
