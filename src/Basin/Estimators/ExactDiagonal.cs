using Basin.Operators;
using static TorchSharp.torch;

namespace Basin.Estimators;

/// <summary>The exact diagonal from P products with unit vectors: for tiny models and references.</summary>
public static class ExactDiagonal
{
    /// <summary>The largest dimension accepted (P products are spent).</summary>
    public const long MaxDimension = 20_000;

    /// <summary>Computes <c>A_ii</c> for every i.</summary>
    public static DiagonalEstimate Compute(ILinearOperator op)
    {
        if (op.Dimension > MaxDimension)
            throw new ArgumentException($"the exact diagonal needs {op.Dimension} products; it is for models of at most {MaxDimension} parameters (use hutchinson or finite-difference)");
        long before = op.Products;
        var values = new double[op.Dimension];
        for (long i = 0; i < op.Dimension; i++)
        {
            using var scope = NewDisposeScope();
            var e = zeros(op.Dimension, op.DType, op.Device);
            e[i] = 1;
            values[i] = op.Apply(e)[i].to(ScalarType.Float64).item<double>();
        }
        using var host = tensor(values);
        return new DiagonalEstimate(host.to(op.DType, op.Device, copy: true), null, op.Products - before, 0, EstimateStatus.Exact, Estimate.With(("estimator", "exact")));
    }
}
