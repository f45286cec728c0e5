using static TorchSharp.torch;

namespace Basin.Operators;

/// <summary>
/// A symmetric linear operator on flat vectors of length <see cref="Dimension"/>: the one abstraction every
/// estimator takes (curvature operators, dense matrices, their sums and scalings).
/// </summary>
public interface ILinearOperator
{
    /// <summary>The dimension P.</summary>
    long Dimension { get; }

    /// <summary>The element type of the vectors.</summary>
    ScalarType DType { get; }

    /// <summary>The device of the vectors.</summary>
    Device Device { get; }

    /// <summary>The number of products computed so far.</summary>
    long Products { get; }

    /// <summary>Returns <c>A v</c> as a new tensor of shape [P]; <paramref name="v"/> is not changed or disposed.</summary>
    Tensor Apply(Tensor v);

    /// <summary>
    /// Whether <see cref="ApplyBlock"/> shares work among its vectors (one pass over kept per-sample Jacobians serves them all), so
    /// that running several Lanczos starts in lock-step pays; false for an operator that computes them one by one.
    /// </summary>
    bool SharesBlocks => false;

    /// <summary>
    /// Returns <c>A vᵢ</c> for every row of <paramref name="vectors"/> [k, P] as a new [k, P] tensor (k products); one product a row
    /// unless the operator shares the work (<see cref="SharesBlocks"/>).
    /// </summary>
    Tensor ApplyBlock(Tensor vectors)
    {
        this.CheckBlock(vectors);
        using var scope = NewDisposeScope();
        return stack(Enumerable.Range(0, (int)vectors.shape[0]).Select(i => Apply(vectors[i])).ToArray()).MoveToOuterDisposeScope();
    }
}

/// <summary>Checks shared by the operators before any native call.</summary>
public static class OperatorChecks
{
    /// <summary>Throws a clear <see cref="ArgumentException"/> unless <paramref name="vectors"/> is a [k, P] block (k ≥ 1) of the operator's dtype and device.</summary>
    public static void CheckBlock(this ILinearOperator op, Tensor vectors)
    {
        if (vectors.dim() != 2 || vectors.shape[0] < 1 || vectors.shape[1] != op.Dimension) throw new ArgumentException($"a block of vectors must be [k, {op.Dimension}], got [{string.Join(", ", vectors.shape)}]");
        op.CheckVector(vectors[0]);
    }

    /// <summary>Throws a clear <see cref="ArgumentException"/> unless <paramref name="v"/> is a [P] vector of the operator's dtype and device.</summary>
    public static void CheckVector(this ILinearOperator op, Tensor v)
    {
        if (v.dim() != 1 || v.shape[0] != op.Dimension)
            throw new ArgumentException($"vector of shape [{string.Join(", ", v.shape)}] for an operator of dimension {op.Dimension}");
        if (v.dtype != op.DType) throw new ArgumentException($"vector of dtype {v.dtype} for an operator of dtype {op.DType}");
        if (v.device.type != op.Device.type || v.device.index != op.Device.index)
            throw new ArgumentException($"vector on {v.device} for an operator on {op.Device}");
    }
}
