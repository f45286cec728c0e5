using static TorchSharp.torch;

namespace Basin.Estimators;

/// <summary>
/// Per-entry running mean and variance of diagonal samples in float64, by Welford's update (as
/// <see cref="RunningStatistics"/>, entry by entry): the mean and its standard error without the
/// cancellation of the Σx² form.
/// </summary>
public sealed class DiagonalAccumulator : IDisposable
{
    private readonly Tensor mean;
    private readonly Tensor m2;

    /// <summary>An accumulator for vectors of length <paramref name="dimension"/> on <paramref name="device"/>.</summary>
    public DiagonalAccumulator(long dimension, Device device)
    {
        mean = zeros(dimension, ScalarType.Float64, device).DetachFromDisposeScope();
        m2 = zeros(dimension, ScalarType.Float64, device).DetachFromDisposeScope();
    }

    /// <summary>The number of samples added.</summary>
    public int Count { get; private set; }

    /// <summary>Adds one sample vector (not kept).</summary>
    public void Add(Tensor sample)
    {
        using var scope = NewDisposeScope();
        Count++;
        var delta = sample.to(ScalarType.Float64) - mean;
        mean.add_(delta / Count);
        m2.add_(delta * (sample.to(ScalarType.Float64) - mean));
    }

    /// <summary>
    /// ‖standard error‖ / ‖mean‖ over all entries: the relative error of the diagonal as a vector, what a stopping rule reads
    /// (infinite before two samples or while the mean is zero).
    /// </summary>
    public double RelativeError
    {
        get
        {
            if (Count < 2) return double.PositiveInfinity;
            using var scope = NewDisposeScope();
            double norm = mean.norm().item<double>();
            return norm > 0 ? (m2 / ((Count - 1.0) * Count)).sum().sqrt().item<double>() / norm : double.PositiveInfinity;
        }
    }

    /// <summary>The mean (in <paramref name="dtype"/>) and the standard error of the mean (float64); needs two samples.</summary>
    public (Tensor Mean, Tensor StandardError) Result(ScalarType dtype)
    {
        if (Count < 2) throw new InvalidOperationException("a standard error needs at least two samples");
        using var scope = NewDisposeScope();
        var standardError = (m2 / ((Count - 1.0) * Count)).sqrt();
        return (mean.to(dtype).clone().MoveToOuterDisposeScope(), standardError.MoveToOuterDisposeScope());
    }

    /// <inheritdoc />
    public void Dispose()
    {
        mean.Dispose();
        m2.Dispose();
    }
}
