using Basin.Bounds;
using static TorchSharp.torch;

namespace Basin.Metrics;

/// <summary>
/// <c>bound.wang_uniform</c>: <see cref="WangBounds.Uniform"/> (seed 003 Lemma 6, Theorem 7) with the 0-1 training
/// error as the loss in [0, 1], pacGen's curvature diagonal and ρ.
/// </summary>
public sealed class WangUniformBoundMetric() : Metric(MetricId, "seed 003 Theorem 7 PAC-Bayes bound, uniform perturbations", "seed 003 Lemma 6, Theorem 7", CostClass.Moderate)
{
    /// <summary>Its id, <c>bound.wang_uniform</c>.</summary>
    public const string MetricId = "bound.wang_uniform";

    /// <inheritdoc />
    public override IReadOnlyList<MetricInput> Inputs(MeasureSettings settings) => PacGen.CurvatureInputs(settings);

    /// <inheritdoc />
    public override MetricResult Compute(MetricContext context)
    {
        var inputs = Inputs(context);
        double delta = context.Settings.BoundDelta;
        var bounds = inputs.Select(x => WangBounds.Uniform(x, delta)).ToArray();
        var (mean, se) = Estimators.RunningStatistics.MeanAndError(bounds.Select(b => b.Value).ToArray());
        return Result(context, mean, se,
            [("loss", "0-1 training error"), ("delta", delta), ("eta", Math.Sqrt(inputs[0].M * inputs[0].N)), ("diagonal", context.Settings.PacGenDiagonal.Name()), ("error", PacGen.ErrorNote(bounds.Length))], bounds[0].Terms);
    }

    /// <summary>|w|, κ, h, ρ, the 0-1 training error and n from <paramref name="context"/>, one set per perturbation of ρ.</summary>
    internal static WangInputs[] Inputs(MetricContext context)
    {
        var s = context.Settings;
        var rhos = context.Get(PacGen.RhoInput);
        var diagonal = context.CurvatureDiagonal.Values;
        using var scope = NewDisposeScope();
        var w = context.Weights.to(ScalarType.Float64).abs().data<double>().ToArray();
        var h = diagonal.to(ScalarType.Float64).data<double>().ToArray();
        var kappa = w.Select(x => s.PacGenGamma * x + s.PacGenEpsilon).ToArray();
        return rhos.Select(rho => new WangInputs(w, kappa, h, rho, context.ZeroOneError, context.N)).ToArray();
    }
}
