using Basin.Data;
using Basin.Estimators;
using Basin.Operators;
using static TorchSharp.torch;

namespace Basin.Metrics;

/// <summary>
/// <c>pacbayes.laplace.approx</c>, the metric "a" of seed 000 (Granziol et al.) eq. 7:
/// <c>a(w) = Tr H_B + ‖w‖² / (2σ_p²)</c>, H_B the Hessian (or the GGN) of one seeded mini-batch, its trace
/// from k Rademacher probes (default k = 1: the cost of about one SGD step). The paper writes the KL of
/// the Laplace posterior N(w, H⁻¹) with Tr H where the exact Gaussian KL has Tr H⁻¹; this implements the
/// paper's formula.
/// </summary>
public sealed class LaplaceApproximate() : Metric(MetricId, "seed 000 metric a: mini-batch Tr H + ‖w‖²/2σ²", "seed 000 eq. 7", CostClass.Cheap)
{
    /// <summary>Its id, <c>pacbayes.laplace.approx</c>.</summary>
    public const string MetricId = "pacbayes.laplace.approx";

    /// <summary>Its probes of the one mini-batch's curvature.</summary>
    public static MetricInput Probes { get; } = MetricInput.Products("Laplace probes", s => s.LaplaceProbes) with { OwnOperator = true };

    /// <inheritdoc />
    public override IReadOnlyList<MetricInput> Inputs(MeasureSettings settings) => [Probes];

    /// <inheritdoc />
    public override MetricResult Compute(MetricContext context)
    {
        var s = context.Settings;
        int batch = Math.Min(s.LaplaceBatch, context.N);
        using var scope = NewDisposeScope();
        var index = Shuffle.Permutation(context.N, s.SeedFor(SeedStream.LaplaceBatch))[..batch];
        var x = context.Samples.Features.index_select(0, tensor(index)).to(context.Weights.dtype);
        var y = context.Samples.Labels.index_select(0, tensor(index));
        var data = CurvatureData.FromBatch(x, y);
        using CurvatureOperator op = s.LaplaceGgn ? new GgnOperator(context.Model, data) : new HessianOperator(context.Model, data);
        var trace = Hutchinson.Trace(op, new StoppingRule(s.LaplaceProbes, MinIterations: 1), s.SeedFor(SeedStream.LaplaceProbes));
        context.Ledger.Charge(new MetricCost(CurvatureProducts: op.Products));
        double norm = context.WeightNormSquared / (2 * s.PriorVariance);
        return Result(context, trace.Value + norm, trace.StandardError,
            [("batch", batch), ("probes", s.LaplaceProbes), ("matrix", s.LaplaceGgn ? "ggn" : "hessian"), ("prior_variance", s.PriorVariance), ("seed", s.SeedFor(SeedStream.LaplaceBatch))],
            [("trace_batch", trace.Value), ("weight_term", norm)]);
    }
}
