using static TorchSharp.torch;

namespace Basin.Estimators;

/// <summary>Per-entry running sums of diagonal samples in float64, giving the mean and its standard error.</summary>
public sealed class DiagonalAccumulator : IDisposable
{
    private readonly Tensor sum;
    private readonly Tensor sumOfSquares;

    /// <summary>An accumulator for vectors of length <paramref name="dimension"/> on <paramref name="device"/>.</summary>
    public DiagonalAccumulator(long dimension, Device device)
    {
        sum = zeros(dimension, ScalarType.Float64, device).DetachFromDisposeScope();
        sumOfSquares = zeros(dimension, ScalarType.Float64, device).DetachFromDisposeScope();
    }

    /// <summary>The number of samples added.</summary>
    public int Count { get; private set; }

    /// <summary>Adds one sample vector (not kept).</summary>
    public void Add(Tensor sample)
    {
        using var scope = NewDisposeScope();
        var x = sample.to(ScalarType.Float64);
        sum.add_(x);
        sumOfSquares.add_(x.square());
        Count++;
    }

    /// <summary>The mean (in <paramref name="dtype"/>) and the standard error of the mean (float64); needs two samples.</summary>
    public (Tensor Mean, Tensor StandardError) Result(ScalarType dtype)
    {
        if (Count < 2) throw new InvalidOperationException("a standard error needs at least two samples");
        using var scope = NewDisposeScope();
        var mean = sum / Count;
        var variance = (sumOfSquares / Count - mean.square()).clamp_min(0) * Count / (Count - 1);
        return (mean.to(dtype).MoveToOuterDisposeScope(), (variance / Count).sqrt().MoveToOuterDisposeScope());
    }

    /// <inheritdoc />
    public void Dispose()
    {
        sum.Dispose();
        sumOfSquares.Dispose();
    }
}
