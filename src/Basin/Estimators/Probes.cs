using Basin.Operators;
using static TorchSharp.torch;

namespace Basin.Estimators;

/// <summary>Seeded random probe vectors for an operator's dimension, dtype and device.</summary>
public sealed class Probes : IDisposable
{
    private readonly Generator generator;
    private readonly ILinearOperator op;

    /// <summary>Probes for <paramref name="op"/> drawn from <paramref name="seed"/> (on the CPU, then moved).</summary>
    public Probes(ILinearOperator op, int seed)
    {
        this.op = op;
        generator = new Generator((ulong)seed);
    }

    /// <summary>A Rademacher vector (entries ±1).</summary>
    public Tensor Rademacher()
    {
        using var scope = NewDisposeScope();
        var bits = randint(0, 2, [op.Dimension], ScalarType.Int8, generator: generator);
        return bits.to(op.DType).mul_(2).sub_(1).to(op.Device).MoveToOuterDisposeScope();
    }

    /// <summary>A Rademacher matrix [P, k].</summary>
    public Tensor RademacherMatrix(int k)
    {
        using var scope = NewDisposeScope();
        var bits = randint(0, 2, [op.Dimension, k], ScalarType.Int8, generator: generator);
        return bits.to(op.DType).mul_(2).sub_(1).to(op.Device).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public void Dispose() => generator.Dispose();
}
