using static TorchSharp.torch;

namespace Basin.Operators;

/// <summary>A symmetric matrix as an operator: for tests with a known spectrum, and for users who bring a matrix.</summary>
public sealed class DenseOperator : ILinearOperator, IDisposable
{
    private readonly Tensor matrix;

    /// <summary>Wraps a copy of the square matrix <paramref name="matrix"/> (checked for symmetry to 1e-6 relative).</summary>
    public DenseOperator(Tensor matrix)
    {
        if (matrix.dim() != 2 || matrix.shape[0] != matrix.shape[1])
            throw new ArgumentException($"a dense operator needs a square matrix, got [{string.Join(", ", matrix.shape)}]");
        if (!matrix.is_floating_point()) throw new ArgumentException($"a dense operator needs a floating-point matrix, got {matrix.dtype}");
        using (NewDisposeScope())
        {
            double asym = (matrix - matrix.t()).abs().max().to(ScalarType.Float64).item<double>(), scale = Math.Max(matrix.abs().max().to(ScalarType.Float64).item<double>(), 1e-300);
            if (asym > 1e-6 * scale) throw new ArgumentException($"the matrix is not symmetric (max |A − Aᵀ| = {asym:G3})");
        }
        this.matrix = matrix.detach().clone().DetachFromDisposeScope();
    }

    /// <summary>The matrix <c>Q diag(eigenvalues) Qᵀ</c> for a random orthogonal Q drawn with <paramref name="seed"/>, in float64.</summary>
    public static DenseOperator WithSpectrum(double[] eigenvalues, int seed)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator((ulong)seed);
        int n = eigenvalues.Length;
        var (q, _) = linalg.qr(randn([n, n], ScalarType.Float64, generator: generator));
        var a = q.matmul(diag(tensor(eigenvalues, ScalarType.Float64))).matmul(q.t());
        return new DenseOperator((a + a.t()) / 2);
    }

    /// <inheritdoc />
    public long Dimension => matrix.shape[0];

    /// <inheritdoc />
    public ScalarType DType => matrix.dtype;

    /// <inheritdoc />
    public Device Device => matrix.device;

    /// <inheritdoc />
    public long Products { get; private set; }

    /// <summary>The matrix (owned by the operator).</summary>
    public Tensor Matrix => matrix;

    /// <inheritdoc />
    public Tensor Apply(Tensor v)
    {
        this.CheckVector(v);
        Products++;
        return matrix.mv(v);
    }

    /// <inheritdoc />
    public bool SharesBlocks => true;

    /// <inheritdoc />
    public Tensor ApplyBlock(Tensor vectors)
    {
        this.CheckBlock(vectors);
        Products += vectors.shape[0];
        return vectors.mm(matrix);   // rows vᵢᵀA = (A vᵢ)ᵀ: A is symmetric
    }

    /// <inheritdoc />
    public void Dispose() => matrix.Dispose();
}
