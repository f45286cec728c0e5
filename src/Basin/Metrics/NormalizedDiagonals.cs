using Basin.Estimators;
using static TorchSharp.torch;

namespace Basin.Metrics;

/// <summary>The clipped normalized-loss Hessian diagonal [P] and the same from each independent group of probes (none when exact).</summary>
/// <param name="Mean">The estimate: the mean over all probes, clipped at 0.</param>
/// <param name="Groups">Each group's diagonal, clipped at 0.</param>
public sealed record NormalizedDiagonals(Tensor Mean, Tensor[] Groups) : IDisposable
{
    /// <summary>
    /// <paramref name="metric"/> of the mean diagonal with a batch-means standard error: the standard deviation of
    /// the metric over the g groups divided by √g (NaN without groups — the exact diagonal — or with one).
    /// </summary>
    public (double Value, double StandardError) Evaluate(Func<Tensor, double> metric)
    {
        double value = metric(Mean);
        if (Groups.Length < 2) return (value, double.NaN);
        var spread = RunningStatistics.Of(Groups.Select(metric));
        return (value, spread.StandardDeviation / Math.Sqrt(Groups.Length));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Mean.Dispose();
        foreach (var g in Groups) g.Dispose();
    }
}
