using System.Diagnostics;
using Basin.Operators;
using static TorchSharp.torch;

namespace Basin.Estimators;

/// <summary>
/// Hutchinson's trace estimator: <c>Tr A ≈ mean of vᵀAv</c> over Rademacher probes v (Hutchinson 1989),
/// with the standard error of the mean; stops on the rule's relative standard error or budget.
/// </summary>
public static class Hutchinson
{
    /// <summary>Estimates <c>Tr A</c>.</summary>
    public static Estimate Trace(ILinearOperator op, StoppingRule rule, int seed = 0, IProgress<double>? progress = null) =>
        Run(op, rule, seed, "hutchinson", (v, av) => v.dot(av), progress);

    /// <summary>Estimates <c>Tr A² = ‖A‖_F²</c> as the mean of <c>‖Av‖²</c> over Rademacher probes.</summary>
    public static Estimate TraceOfSquare(ILinearOperator op, StoppingRule rule, int seed = 0, IProgress<double>? progress = null) =>
        Run(op, rule, seed, "hutchinson-square", (_, av) => av.dot(av), progress);

    private static Estimate Run(ILinearOperator op, StoppingRule rule, int seed, string name, Func<Tensor, Tensor, Tensor> sample, IProgress<double>? progress)
    {
        rule.Validate();
        var clock = Stopwatch.StartNew();
        var stats = new RunningStatistics();
        using var probes = new Probes(op, seed);
        long before = op.Products;
        EstimateStatus? status = null;
        while (status is null)
        {
            using (NewDisposeScope())
            {
                var v = probes.Rademacher();
                stats.Add(sample(v, op.Apply(v)).to(ScalarType.Float64).item<double>());
            }
            progress?.Report((double)stats.Count / rule.MaxIterations);
            status = rule.Check(stats.Count, stats.RelativeError, clock);
        }
        return new Estimate(stats.Mean, stats.Count > 1 ? stats.StandardError : double.NaN, op.Products - before, stats.Count, status.Value,
            Estimate.With(("estimator", name), ("probes", "rademacher"), ("seed", seed), ("stopping", rule)));
    }
}
