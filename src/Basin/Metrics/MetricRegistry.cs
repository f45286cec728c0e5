

namespace Basin.Metrics;

/// <summary>
/// Every metric of <c>shared/spec/metrics.md</c>, by id, in the spec's order: the seeds' measures, then Jiang et al.
/// 2020's PAC-Bayes flatness measures, the baselines and the oracle rows (<see cref="IMetric.Role"/>).
/// </summary>
public static class MetricRegistry
{
    private static readonly List<IMetric> metrics =
    [
        new HessianTrace(),
        new HessianTraceNormalized(),
        new HessianFrobeniusSquared(),
        new TopEigenvalue(ggn: false),
        new SpectralDensity(),
        new GgnTrace(),
        new TopEigenvalue(ggn: true),
        new GgnFrobeniusSquared(),
        new LogDeterminant(),
        new KeskarSharpness(),
        new ExpectedSharpness(),
        new LaplaceApproximate(),
        new LaplaceFull(),
        new FisherLogDetSubsampled(),
        new FisherLogDetExtrapolated(),
        new FisherTrace(),
        new FisherFrobeniusSquared(),
        new FisherSpectralRadius(),
        new InputJacobianRobustness(),
        new FisherVolumeBoundMetric(),
        new PacGen(),
        new HessianDiagonalMetric(),
        new WangUniformBoundMetric(),
        new WangGaussianBoundMetric(),
        new MatrixNormalizedSharpness(),
        new NormalizedSharpness(),
        new FisherRaoNorm(),
        new OptimizedPacBayesBoundMetric(),
        new PacBayesFlatness(magnitudeAware: false),
        new PacBayesFlatness(magnitudeAware: true),
        new TrainLossBaseline(),
        new TrainErrorBaseline(),
        new MarginBaseline(),
        new ParameterCountBaseline(),
        new DistanceFromInitialization(),
        new NormProduct(spectral: false, overMargin: false),
        new NormProduct(spectral: true, overMargin: false),
        new NormProduct(spectral: false, overMargin: true),
        new NormProduct(spectral: true, overMargin: true),
        new PathNorm(),
        new StepsToCriterion(),
        new NoisyOracle(1),
        new NoisyOracle(5),
    ];

    private static readonly Lock Gate = new();

    /// <summary>All metrics: Basin's, in the spec's order, then those added with <see cref="Register"/>.</summary>
    public static IReadOnlyList<IMetric> All
    {
        get
        {
            lock (Gate) return metrics.ToList();
        }
    }

    /// <summary>Adds a metric of your own, so that <see cref="Select"/>, <c>all</c> (unless it is opt-in) and studies find it by its id.</summary>
    /// <exception cref="ArgumentException">Its id is taken or is not lower-case words joined by dots and underscores.</exception>
    public static void Register(IMetric metric)
    {
        if (!System.Text.RegularExpressions.Regex.IsMatch(metric.Id, @"^[a-z0-9_]+(\.[a-z0-9_]+)*$"))
            throw new ArgumentException($"metric id '{metric.Id}' must be lower-case words joined by dots or underscores, like hessian.trace");
        lock (Gate)
        {
            if (metrics.Any(m => m.Id == metric.Id)) throw new ArgumentException($"a metric with id '{metric.Id}' is registered already");
            metrics.Add(metric);
        }
    }

    /// <summary>The metrics named by <paramref name="ids"/> (<c>all</c>: every metric but the opt-in ones; or a comma-separated list of ids).</summary>
    /// <exception cref="ArgumentException">An id is unknown; the message lists the known ones.</exception>
    public static IReadOnlyList<IMetric> Select(string ids)
    {
        if (ids.Trim() == "all") return All.Where(m => !m.OptIn).ToList();
        var chosen = new List<IMetric>();
        foreach (var id in ids.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var metric = All.FirstOrDefault(m => m.Id == id)
                ?? throw new ArgumentException($"unknown metric '{id}'; known: {string.Join(", ", All.Select(m => m.Id))}");
            if (!chosen.Contains(metric)) chosen.Add(metric);
        }
        if (chosen.Count == 0) throw new ArgumentException("no metric named: use all or a comma-separated list of ids (basin measure --list)");
        return chosen;
    }

    /// <summary>Computes <paramref name="metrics"/> in order, timing each and charging shared inputs to the first that needs them.</summary>
    public static IReadOnlyList<MetricResult> Measure(MetricContext context, IReadOnlyList<IMetric> metrics, Action<int, IMetric>? starting = null)
    {
        var results = new List<MetricResult>();
        context.Expect(metrics);
        for (int i = 0; i < metrics.Count; i++)
        {
            starting?.Invoke(i, metrics[i]);
            context.Ledger.Begin();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var result = metrics[i].NotApplicable(context) is { } why
                ? new MetricResult(metrics[i].Id, double.NaN, double.NaN, new MetricCost(), 0, new Dictionary<string, string> { ["not_applicable"] = why }, new Dictionary<string, double>())
                : metrics[i].Compute(context);
            results.Add(result with { Cost = context.Ledger.Current, Seconds = clock.Elapsed.TotalSeconds });
            context.Finished(metrics[i]);
        }
        return results;
    }
}
