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
    /// the metric over the g groups divided by √g (NaN without groups — the exact diagonal — or with one). The
    /// groups are evaluated first and the mean last, so state <paramref name="metric"/> leaves behind is the estimate's.
    /// </summary>
    public (double Value, double StandardError) Evaluate(Func<Tensor, double> metric)
    {
        var spread = RunningStatistics.Of(Groups.Select(metric).ToArray());
        double value = metric(Mean);
        return (value, Groups.Length < 2 ? double.NaN : spread.StandardDeviation / Math.Sqrt(Groups.Length));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Mean.Dispose();
        foreach (var g in Groups) g.Dispose();
    }
}
