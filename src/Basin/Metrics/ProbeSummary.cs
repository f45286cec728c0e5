using Basin.Estimators;
using Basin.Operators;
using static TorchSharp.torch;

namespace Basin.Metrics;

/// <summary>
/// Tr A, Tr A² and the diagonal of one operator from one shared set of k Rademacher probes v:
/// <c>Tr A ≈ mean vᵀAv</c>, <c>Tr A² ≈ mean ‖Av‖²</c>, <c>diag A ≈ mean v ⊙ Av</c> (Hutchinson 1989; Bekas et al. 2007),
/// each with its standard error over probes. With Hutch++ chosen the trace and Tr A² come from Hutch++ instead. Under
/// <see cref="MeasureSettings.SlqDeflate"/> the probes sample the deflated operator PAP and each estimate adds the deflated pairs'
/// exact share (<see cref="Hutchinson.TraceAndTraceOfSquare(ILinearOperator, Deflation, StoppingRule, int, IProgress{double}?)"/>;
/// the diagonal's is <c>Σ_i θ_i q_i ⊙ q_i</c>, leaving out the cross terms <c>2 Σ_i q_i ⊙ (P A q_i)</c>, at most the pairs' residuals).
/// Owns the diagonal's tensors.
/// </summary>
/// <param name="Trace">Tr A.</param>
/// <param name="FrobeniusSquared">Tr A² = ‖A‖_F².</param>
/// <param name="Diagonal">diag A.</param>
public sealed record ProbeSummary(Estimate Trace, Estimate FrobeniusSquared, DiagonalEstimate Diagonal) : IDisposable
{
    /// <summary>The Hessian's probes (trace, Tr H², Hutchinson diagonal), shared by every metric that reads them.</summary>
    public static SharedInput<ProbeSummary> HessianInput { get; } =
        new("Hessian probes", (s, _, _) => new MetricCost(CurvatureProducts: s.TraceProbes), c => Compute(c.Hessian, c.Settings, c.Settings.SeedFor(SeedStream.HessianProbes), c.Ledger, c.Get(DeflationInput.Hessian)));

    /// <summary>The GGN's probes (trace, Tr G²).</summary>
    public static SharedInput<ProbeSummary> GgnInput { get; } =
        new("GGN probes", (s, _, _) => new MetricCost(CurvatureProducts: s.TraceProbes), c => Compute(c.Ggn, c.Settings, c.Settings.SeedFor(SeedStream.GgnProbes), c.Ledger, c.Get(DeflationInput.Ggn))) { Operator = ProductKind.Ggn };

    /// <summary>
    /// Probes <paramref name="op"/> <see cref="MeasureSettings.TraceProbes"/> times from <paramref name="seed"/>, charging <paramref name="ledger"/>;
    /// with <paramref name="deflation"/> (found on <paramref name="op"/>), the probes sample only the rest of its spectrum.
    /// </summary>
    public static ProbeSummary Compute(ILinearOperator op, MeasureSettings settings, int seed, CostLedger ledger, Deflation? deflation = null)
    {
        var target = deflation?.Deflate(op) ?? op;
        double traceShare = deflation?.TraceShare ?? 0, squareShare = deflation?.SquareShare ?? 0;
        var trace = new RunningStatistics();
        var square = new RunningStatistics();
        long before = op.Products;
        var rule = settings.Rule(settings.TraceProbes, MeasureSettings.Minimums.Probes);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var probes = new Probes(op, seed);
        using var diagonal = new DiagonalAccumulator(op.Dimension, op.Device);
        EstimateStatus? status = null;
        while (status is null)
        {
            // A block of probes at a time where the operator shares one pass among them (Hutchinson.BlockSize), drawn in the same order.
            using var scope = NewDisposeScope();
            foreach (var (v, av) in Hutchinson.Products(target, probes, Hutchinson.BlockSize(target, rule, trace.Count)))
            {
                trace.Add(v.dot(av).to(ScalarType.Float64).item<double>());
                square.Add(av.dot(av).to(ScalarType.Float64).item<double>());
                diagonal.Add(v * av);
                status = rule.Check(trace.Count, Math.Max(Relative(trace, traceShare), Relative(square, squareShare)), clock);
                if (status is not null) break;
            }
        }
        long products = op.Products - before;
        ledger.Charge(new MetricCost(CurvatureProducts: products));
        var described = Estimate.With(("estimator", "hutchinson"), ("probes", trace.Count), ("seed", seed));
        if (deflation is not null) described = new Dictionary<string, string>(described) { ["deflated"] = $"{deflation.Count} pairs from {deflation.Run.Steps} steps" };
        if (settings.RelativeTolerance > 0) described = new Dictionary<string, string>(described) { ["stopping"] = rule.ToString(), ["stopped"] = status.Value.ToString() };
        var (mean, se) = diagonal.Result(op.DType);
        if (deflation is { Count: > 0 })
        {
            using var share = deflation.Diagonal();
            mean.add_(share.to(mean.dtype));
        }
        // Hutch++ gives Tr A and Tr A² from its own products (the probes above still give the diagonal).
        var (traceEstimate, squareEstimate) = settings.HutchPlusPlus
            ? ledger.Counted(op, () => HutchPlusPlus.TraceAndTraceOfSquare(op, settings.Rule(Math.Max(6, settings.TraceProbes), MeasureSettings.Minimums.Probes), seed))
            : (Summarise(trace, traceShare, products, described, status.Value), Summarise(square, squareShare, products, described, status.Value));
        return new ProbeSummary(traceEstimate, squareEstimate,
            new DiagonalEstimate(mean, se, products, trace.Count, status.Value, described).Detached());
    }

    private static Estimate Summarise(RunningStatistics stats, double share, long products, IReadOnlyDictionary<string, string> settings, EstimateStatus status) =>
        new(stats.Mean + share, stats.StandardError, products, stats.Count, status, settings);

    /// <summary>The standard error over the probes relative to the whole estimate (the exact share included).</summary>
    private static double Relative(RunningStatistics stats, double share) =>
        stats.Count > 1 && stats.Mean + share != 0 ? stats.StandardError / Math.Abs(stats.Mean + share) : double.PositiveInfinity;

    /// <inheritdoc />
    public void Dispose() => Diagonal.Dispose();
}
