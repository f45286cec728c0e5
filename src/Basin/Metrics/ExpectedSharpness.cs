using Basin.Estimators;
using static TorchSharp.torch;

namespace Basin.Metrics;

/// <summary>
/// <c>sharpness.expected</c>: E_{u∼N(0,σ²)} L(w + u) − L(w) (Neyshabur et al. 2017; seed 003 eq. 3) by
/// Monte Carlo with the standard error over draws; σ_i = σ₀ + α|w_i| (α = 0: isotropic σ₀ = 0.01; α > 0:
/// magnitude-aware).
/// </summary>
public sealed class ExpectedSharpness() : Metric(MetricId, "expected loss increase under Gaussian weight noise", "seed 003 eq. 3; Neyshabur et al. 2017", CostClass.Moderate)
{
    /// <summary>Its id, <c>sharpness.expected</c>.</summary>
    public const string MetricId = "sharpness.expected";

    /// <summary>Its weight draws: one loss over the samples each.</summary>
    public static MetricInput Draws { get; } = new("expected-sharpness draws", (s, _, _) => new MetricCost(ForwardPasses: s.ExpectedSharpnessDraws));

    /// <inheritdoc />
    public override IReadOnlyList<MetricInput> Inputs(MeasureSettings settings) => [Draws];

    /// <inheritdoc />
    public override MetricResult Compute(MetricContext context)
    {
        var s = context.Settings;
        double loss = context.Loss;
        using var scope = NewDisposeScope();
        var w = context.Weights;
        var sigma = w.abs() * s.ExpectedSharpnessAlpha + s.ExpectedSharpnessSigma;
        using var generator = new Generator((ulong)(s.SeedFor(SeedStream.ExpectedSharpness)));
        var increases = new List<double>();
        for (int draw = 0; draw < s.ExpectedSharpnessDraws; draw++)
        {
            using var inner = NewDisposeScope();
            var u = randn(w.shape, w.dtype, generator: generator).to(w.device) * sigma;
            increases.Add(context.WithWeights(w + u, context.Hessian.Loss) - loss);
        }
        context.Ledger.Charge(new MetricCost(ForwardPasses: s.ExpectedSharpnessDraws));
        var (mean, se) = RunningStatistics.MeanAndError(increases);
        return Result(context, mean, se, [("draws", s.ExpectedSharpnessDraws), ("sigma0", s.ExpectedSharpnessSigma), ("alpha", s.ExpectedSharpnessAlpha), ("seed", s.SeedFor(SeedStream.ExpectedSharpness))],
            [("loss", loss)]);
    }
}
