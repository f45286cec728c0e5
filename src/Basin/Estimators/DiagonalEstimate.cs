using static TorchSharp.torch;

namespace Basin.Estimators;

/// <summary>An estimate of a matrix diagonal: per-entry values and standard errors (flat, [P]), cost and settings. Owns its tensors.</summary>
public sealed record DiagonalEstimate(Tensor Values, Tensor? StandardError, long Products, int Samples, EstimateStatus Status, IReadOnlyDictionary<string, string> Settings) : IDisposable
{
    /// <inheritdoc />
    public void Dispose()
    {
        Values.Dispose();
        StandardError?.Dispose();
    }
}
