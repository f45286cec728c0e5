using static TorchSharp.torch;

namespace Basin.Estimators;

/// <summary>An estimate of a matrix diagonal: per-entry values and standard errors (flat, [P]), cost and settings. Owns its tensors.</summary>
public sealed record DiagonalEstimate(Tensor Values, Tensor? StandardError, long Products, int Samples, EstimateStatus Status, IReadOnlyDictionary<string, string> Settings) : IDisposable
{
    /// <summary>Takes the tensors out of every dispose scope, for an owner that keeps them longer than the caller's scope; returns this.</summary>
    public DiagonalEstimate Detached()
    {
        Values.DetachFromDisposeScope();
        StandardError?.DetachFromDisposeScope();
        return this;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Values.Dispose();
        StandardError?.Dispose();
    }
}
