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

    /// <summary>
    /// <c>Tr A</c> and <c>Tr A²</c> from the same probes: one product per probe gives both <c>vᵀAv</c> and <c>‖Av‖²</c>.
    /// Each estimate is unbiased with its own standard error (the two errors are correlated); the rule stops on the trace's.
    /// </summary>
    public static (Estimate Trace, Estimate TraceOfSquare) TraceAndTraceOfSquare(ILinearOperator op, StoppingRule rule, int seed = 0, IProgress<double>? progress = null)
    {
        var both = Run(op, rule, seed, ["hutchinson", "hutchinson-square"], [(v, av) => v.dot(av), (_, av) => av.dot(av)], progress);
        return (both[0], both[1]);
    }

    private static Estimate Run(ILinearOperator op, StoppingRule rule, int seed, string name, Func<Tensor, Tensor, Tensor> sample, IProgress<double>? progress) =>
        Run(op, rule, seed, [name], [sample], progress)[0];

    private static Estimate[] Run(ILinearOperator op, StoppingRule rule, int seed, string[] names, Func<Tensor, Tensor, Tensor>[] samples, IProgress<double>? progress)
    {
        rule.Validate();
        var clock = Stopwatch.StartNew();
        var stats = samples.Select(_ => new RunningStatistics()).ToArray();
        using var probes = new Probes(op, seed);
        long before = op.Products;
        EstimateStatus? status = null;
        while (status is null)
        {
            using (NewDisposeScope())
            {
                var v = probes.Rademacher();
                var av = op.Apply(v);
                for (int i = 0; i < samples.Length; i++) stats[i].Add(samples[i](v, av).to(ScalarType.Float64).item<double>());
            }
            progress?.Report((double)stats[0].Count / rule.MaxIterations);
            status = rule.Check(stats[0].Count, stats[0].RelativeError, clock);
        }
        return [.. names.Select((name, i) => new Estimate(stats[i].Mean, stats[i].Count > 1 ? stats[i].StandardError : double.NaN, op.Products - before, stats[i].Count, status.Value,
            Estimate.With(("estimator", name), ("probes", "rademacher"), ("seed", seed), ("stopping", rule))))];
    }
}
