using Basin.Bounds;

namespace Basin.Metrics;

/// <summary>
/// <c>bound.wang_gaussian</c>: <see cref="WangBounds.Gaussian"/> (seed 003 Lemma 8) with τ = ‖w‖², the 0-1 training
/// error, the configured Hessian diagonal and pacGen's ρ.
/// </summary>
public sealed class WangGaussianBoundMetric() : Metric(MetricId, "seed 003 Lemma 8 PAC-Bayes bound, truncated Gaussian perturbations", "seed 003 Lemma 8", CostClass.Moderate)
{
    /// <summary>Its id, <c>bound.wang_gaussian</c>.</summary>
    public const string MetricId = "bound.wang_gaussian";

    /// <inheritdoc />
    public override IReadOnlyList<MetricInput> Inputs(MeasureSettings settings) => PacGen.CurvatureInputs(settings);

    /// <inheritdoc />
    public override MetricResult Compute(MetricContext context)
    {
        var inputs = WangUniformBoundMetric.Inputs(context);
        double delta = context.Settings.BoundDelta, tau = context.WeightNormSquared;
        var bounds = inputs.Select(x => WangBounds.Gaussian(x, delta, tau)).ToArray();
        var (mean, se) = Estimators.RunningStatistics.MeanAndError(bounds.Select(b => b.Value).ToArray());
        return Result(context, mean, se,
            [("loss", "0-1 training error"), ("delta", delta), ("eta", Math.Sqrt(inputs[0].M * inputs[0].N)), ("tau", tau), ("diagonal", context.Settings.PacGenDiagonal.Name()), ("error", PacGen.ErrorNote(bounds.Length))], bounds[0].Terms);
    }
}
