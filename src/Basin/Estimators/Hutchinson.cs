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

    /// <summary>
    /// <see cref="TraceAndTraceOfSquare(ILinearOperator, StoppingRule, int, IProgress{double}?)"/> deflated by <paramref name="deflation"/>'s
    /// pairs (Gambhir, Stathopoulos &amp; Orginos 2017): <c>Tr A = Σ_i θ_i + Tr(PAP)</c> and
    /// <c>Tr A² = Σ_i (θ_i² + 2‖P A q_i‖²) + Tr((PAP)²)</c>, P = I − QQᵀ, the sums exact (‖PAq_i‖ taken as the Ritz residual r_i, its
    /// Lanczos value) and the complement's terms by the probes on PAP, whose variance no longer carries the outliers: where a few
    /// eigenvalues dominate Tr A², as in a trained network's Hessian, its error falls several-fold for the same products.
    /// </summary>
    public static (Estimate Trace, Estimate TraceOfSquare) TraceAndTraceOfSquare(ILinearOperator op, Deflation deflation, StoppingRule rule, int seed = 0, IProgress<double>? progress = null)
    {
        var both = Run(deflation.Deflate(op), rule, seed, ["hutchinson-deflated", "hutchinson-square-deflated"], [(v, av) => v.dot(av), (_, av) => av.dot(av)], progress,
            [deflation.TraceShare, deflation.SquareShare]);
        var deflated = ("deflated", $"{deflation.Count} pairs");
        return (both[0] with { Settings = Estimate.With([.. both[0].Settings.Select(kv => (kv.Key, (object)kv.Value)), deflated]) },
            both[1] with { Settings = Estimate.With([.. both[1].Settings.Select(kv => (kv.Key, (object)kv.Value)), deflated]) });
    }

    /// <summary>
    /// How many probes to multiply at once after <paramref name="drawn"/>: one, unless <paramref name="op"/> shares a block product's
    /// work (<see cref="ILinearOperator.SharesBlocks"/>); then up to 8 (and at most 256 MiB of them in float64), as many as the rule may
    /// draw before it is read again (<see cref="StoppingRule.AtOnce"/>).
    /// </summary>
    internal static int BlockSize(ILinearOperator op, StoppingRule rule, int drawn) =>
        op.SharesBlocks ? rule.AtOnce(drawn, (int)Math.Clamp((256L << 20) / Math.Max(1, op.Dimension * 8), 1, 8)) : 1;

    /// <summary>The next <paramref name="count"/> probes, drawn in order, each with its product (one block product for them all).</summary>
    internal static IEnumerable<(Tensor V, Tensor Av)> Products(ILinearOperator op, Probes probes, int count)
    {
        var v = Enumerable.Range(0, count).Select(_ => probes.Rademacher()).ToArray();
        if (count == 1)
        {
            yield return (v[0], op.Apply(v[0]));
            yield break;
        }
        var av = op.ApplyBlock(stack(v));
        for (int i = 0; i < count; i++) yield return (v[i], av[i]);
    }

    private static Estimate Run(ILinearOperator op, StoppingRule rule, int seed, string name, Func<Tensor, Tensor, Tensor> sample, IProgress<double>? progress) =>
        Run(op, rule, seed, [name], [sample], progress)[0];

    /// <summary>The probes' estimates, each plus its exact <paramref name="offsets"/> term (0 by default); the rule reads the first's error relative to its total.</summary>
    private static Estimate[] Run(ILinearOperator op, StoppingRule rule, int seed, string[] names, Func<Tensor, Tensor, Tensor>[] samples, IProgress<double>? progress, double[]? offsets = null)
    {
        offsets ??= new double[samples.Length];
        rule.Validate();
        var clock = Stopwatch.StartNew();
        var stats = samples.Select(_ => new RunningStatistics()).ToArray();
        using var probes = new Probes(op, seed);
        long before = op.Products;
        EstimateStatus? status = null;
        while (status is null)
        {
            using var scope = NewDisposeScope();
            foreach (var (v, av) in Products(op, probes, BlockSize(op, rule, stats[0].Count)))
            {
                for (int i = 0; i < samples.Length; i++) stats[i].Add(samples[i](v, av).to(ScalarType.Float64).item<double>());
                progress?.Report((double)stats[0].Count / rule.MaxIterations);
                double total = stats[0].Mean + offsets[0];
                status = rule.Check(stats[0].Count, stats[0].Count > 1 && total != 0 ? stats[0].StandardError / Math.Abs(total) : double.PositiveInfinity, clock);
                if (status is not null) break;
            }
        }
        return [.. names.Select((name, i) => new Estimate(stats[i].Mean + offsets[i], stats[i].Count > 1 ? stats[i].StandardError : double.NaN, op.Products - before, stats[i].Count, status.Value,
            Estimate.With(("estimator", name), ("probes", "rademacher"), ("seed", seed), ("stopping", rule))))];
    }
}
