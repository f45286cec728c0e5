using Basin.Operators;

namespace Basin.Cli.Infrastructure;

/// <summary>What one curvature product costs, for the preview a command prints before long work.</summary>
public static class CostPreview
{
    /// <summary>
    /// Seconds per product of <paramref name="op"/> once it runs at its steady pace: the first product also builds the cached
    /// graph, and the next few still grow the allocator's heap (LeNet-5 at 2 048 samples, one run: 1.45 s, 0.48 s, then
    /// 0.19 s each; another: 0.38 s and 0.36 s before 0.18 s — timing the second made the preview say 3 min 24 s for a run
    /// of 1 min 41 s). After one untimed product, the fastest of the next <paramref name="timed"/> is returned.
    /// </summary>
    public static double SecondsPerProduct(ILinearOperator op, int timed = 3)
    {
        using var probe = TorchSharp.torch.ones(op.Dimension, op.DType, op.Device);
        return Seconds(() => op.Apply(probe).Dispose(), timed);
    }

    /// <summary>The fastest of <paramref name="timed"/> timed runs of <paramref name="action"/>, after one untimed run that warms it up.</summary>
    public static double Seconds(Action action, int timed = 1)
    {
        action();
        double best = double.PositiveInfinity;
        for (int i = 0; i < Math.Max(1, timed); i++)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            action();
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        return best;
    }
}
