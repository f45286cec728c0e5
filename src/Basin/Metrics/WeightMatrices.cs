using Basin.Operators;
using static TorchSharp.torch;

namespace Basin.Metrics;

/// <summary>One weight matrix with its curvature, as seed 004 treats it.</summary>
/// <param name="Name">The parameter's name.</param>
/// <param name="WeightSquared">W_ij² [rows, cols] (a conv kernel's spatial positions summed per channel pair).</param>
/// <param name="Curvature">h_ij [rows, cols], summed the same way.</param>
public sealed record WeightMatrix(string Name, double[,] WeightSquared, double[,] Curvature);

/// <summary>
/// Splits the parameters into seed 004's weight matrices: rows = output features or channels, columns =
/// input features or channels, a convolution's spatial positions summed; 1-D parameters (biases, norm
/// scales) have no row/column structure and are left out (their count is reported).
/// </summary>
public static class WeightMatrices
{
    /// <summary>The weight matrices of <paramref name="context"/>'s model with the diagonal <paramref name="diagonal"/> [P], and how many scalars were left out.</summary>
    public static (List<WeightMatrix> Matrices, long LeftOut) Split(MetricContext context, Tensor diagonal)
    {
        using var scope = NewDisposeScope();
        var parameters = context.Parameters;
        var parts = ParameterSelection.Split(diagonal.to(ScalarType.Float64), parameters.Select(p => (Tensor)p.Value).ToArray());
        var matrices = new List<WeightMatrix>();
        long leftOut = 0;
        for (int i = 0; i < parameters.Length; i++)
        {
            var (name, p) = parameters[i];
            if (p.dim() < 2)
            {
                leftOut += p.numel();
                continue;
            }
            var w = p.detach().to(ScalarType.Float64);
            var w2 = w.square().reshape(p.shape[0], p.shape[1], -1).sum(2);
            var h = parts[i].reshape(p.shape[0], p.shape[1], -1).sum(2);
            matrices.Add(new WeightMatrix(name, ToArray(w2), ToArray(h)));
        }
        return (matrices, leftOut);
    }

    private static double[,] ToArray(Tensor t)
    {
        var values = t.contiguous().data<double>().ToArray();
        int rows = (int)t.shape[0], cols = (int)t.shape[1];
        var a = new double[rows, cols];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) a[i, j] = values[i * cols + j];
        return a;
    }
}
