using Basin.Operators;

namespace Basin.Cli.Infrastructure;

/// <summary>What one curvature product costs, for the preview a command prints before long work.</summary>
public static class CostPreview
{
    /// <summary>
    /// Seconds per product of <paramref name="op"/>, timed on the second of two products: the first also builds the
    /// cached graph and grows the allocator's heap (on LeNet-5 at 2 048 samples it took about twice as long, which made
    /// the preview say 5 min for a run of 2.5).
    /// </summary>
    public static double SecondsPerProduct(ILinearOperator op)
    {
        using var probe = TorchSharp.torch.ones(op.Dimension, op.DType, op.Device);
        op.Apply(probe).Dispose();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        op.Apply(probe).Dispose();
        return clock.Elapsed.TotalSeconds;
    }
}
