using Basin.Estimators;
using Basin.Operators;
using static TorchSharp.torch;

namespace Basin.Metrics;

/// <summary>
/// Tr A, Tr A² and the diagonal of one operator from one shared set of k Rademacher probes v:
/// <c>Tr A ≈ mean vᵀAv</c>, <c>Tr A² ≈ mean ‖Av‖²</c>, <c>diag A ≈ mean v ⊙ Av</c> (Hutchinson 1989; Bekas et al. 2007),
/// each with its standard error over probes. With Hutch++ chosen the trace and Tr A² come from Hutch++ instead.
/// Owns the diagonal's tensors.
/// </summary>
/// <param name="Trace">Tr A.</param>
/// <param name="FrobeniusSquared">Tr A² = ‖A‖_F².</param>
/// <param name="Diagonal">diag A.</param>
public sealed record ProbeSummary(Estimate Trace, Estimate FrobeniusSquared, DiagonalEstimate Diagonal) : IDisposable
{
    /// <summary>The Hessian's probes (trace, Tr H², Hutchinson diagonal), shared by every metric that reads them.</summary>
    public static SharedInput<ProbeSummary> HessianInput { get; } =
        new("Hessian probes", (s, _, _) => new MetricCost(CurvatureProducts: s.TraceProbes), c => Compute(c.Hessian, c.Settings, c.Settings.SeedFor(SeedStream.HessianProbes), c.Ledger));

    /// <summary>The GGN's probes (trace, Tr G²).</summary>
    public static SharedInput<ProbeSummary> GgnInput { get; } =
        new("GGN probes", (s, _, _) => new MetricCost(CurvatureProducts: s.TraceProbes), c => Compute(c.Ggn, c.Settings, c.Settings.SeedFor(SeedStream.GgnProbes), c.Ledger)) { Operator = ProductKind.Ggn };

    /// <summary>Probes <paramref name="op"/> <see cref="MeasureSettings.TraceProbes"/> times from <paramref name="seed"/>, charging <paramref name="ledger"/>.</summary>
    public static ProbeSummary Compute(ILinearOperator op, MeasureSettings settings, int seed, CostLedger ledger)
    {
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
            using (NewDisposeScope())
            {
                var v = probes.Rademacher();
                var av = op.Apply(v);
                trace.Add(v.dot(av).to(ScalarType.Float64).item<double>());
                square.Add(av.dot(av).to(ScalarType.Float64).item<double>());
                diagonal.Add(v * av);
            }
            status = rule.Check(trace.Count, Math.Max(trace.RelativeError, square.RelativeError), clock);
        }
        long products = op.Products - before;
        ledger.Charge(new MetricCost(CurvatureProducts: products));
        var described = Estimate.With(("estimator", "hutchinson"), ("probes", trace.Count), ("seed", seed));
        if (settings.RelativeTolerance > 0) described = new Dictionary<string, string>(described) { ["stopping"] = rule.ToString(), ["stopped"] = status.Value.ToString() };
        var (mean, se) = diagonal.Result(op.DType);
        // Hutch++ gives Tr A and Tr A² from its own products (the probes above still give the diagonal).
        var (traceEstimate, squareEstimate) = settings.HutchPlusPlus
            ? ledger.Counted(op, () => HutchPlusPlus.TraceAndTraceOfSquare(op, settings.Rule(Math.Max(6, settings.TraceProbes), MeasureSettings.Minimums.Probes), seed))
            : (Summarise(trace, products, described, status.Value), Summarise(square, products, described, status.Value));
        return new ProbeSummary(traceEstimate, squareEstimate,
            new DiagonalEstimate(mean, se, products, trace.Count, status.Value, described).Detached());
    }

    private static Estimate Summarise(RunningStatistics stats, long products, IReadOnlyDictionary<string, string> settings, EstimateStatus status) =>
        new(stats.Mean, stats.StandardError, products, stats.Count, status, settings);

    /// <inheritdoc />
    public void Dispose() => Diagonal.Dispose();
}
