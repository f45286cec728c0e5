using Basin.Bounds;
using static TorchSharp.torch;

namespace Basin.Metrics;

/// <summary>
/// <c>bound.wang_uniform</c>: <see cref="WangBounds.Uniform"/> (seed 003 Lemma 6, Theorem 7) with the 0-1 training
/// error as the loss in [0, 1], pacGen's curvature diagonal and ρ.
/// </summary>
public sealed class WangUniformBoundMetric() : Metric("bound.wang_uniform", "seed 003 Theorem 7 PAC-Bayes bound, uniform perturbations", "seed 003 Lemma 6, Theorem 7", CostClass.Moderate)
{
    /// <inheritdoc />
    public override MetricResult Compute(MetricContext context)
    {
        var inputs = Inputs(context);
        double delta = context.Settings.BoundDelta;
        var bound = WangBounds.Uniform(inputs, delta);
        return Result(context, bound.Value, double.NaN,
            [("loss", "0-1 training error"), ("delta", delta), ("eta", Math.Sqrt(inputs.M * inputs.N)), ("diagonal", context.Settings.PacGenDiagonal.Name()), ("error", NotEstimated)], bound.Terms);
    }

    /// <summary>Why seed 003's bounds carry no standard error.</summary>
    internal const string NotEstimated = "not estimated: a function of the curvature diagonal (pacgen's) and of pacGen's ρ";

    /// <summary>|w|, κ, h, ρ, the 0-1 training error and n from <paramref name="context"/>.</summary>
    internal static WangInputs Inputs(MetricContext context)
    {
        var s = context.Settings;
        double rho = context.PacGenRho;
        var diagonal = context.CurvatureDiagonal.Values;
        using var scope = NewDisposeScope();
        var w = context.Weights.to(ScalarType.Float64).abs().data<double>().ToArray();
        var h = diagonal.to(ScalarType.Float64).data<double>().ToArray();
        var kappa = w.Select(x => s.PacGenGamma * x + s.PacGenEpsilon).ToArray();
        return new WangInputs(w, kappa, h, rho, context.ZeroOneError, context.N);
    }
}
