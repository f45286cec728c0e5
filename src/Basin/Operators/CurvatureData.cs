using Basin.Data;
using static TorchSharp.torch;

namespace Basin.Operators;

/// <summary>One batch of inputs and labels, on the operator's device.</summary>
public sealed record Batch(Tensor Inputs, Tensor Labels)
{
    /// <summary>The number of samples.</summary>
    public long Count => Labels.shape[0];
}

/// <summary>
/// The data an operator is bound to: one batch, or a whole data set streamed in batches. Curvature is
/// averaged over the samples with weights <c>n_b / N</c>, so a streamed operator equals the operator
/// over the concatenated batch up to rounding.
/// </summary>
public sealed class CurvatureData
{
    private readonly Dataset? dataset;
    private readonly Tensor? inputs;
    private readonly Tensor? labels;

    private CurvatureData(Dataset? dataset, Tensor? inputs, Tensor? labels, int batchSize)
    {
        this.dataset = dataset;
        this.inputs = inputs;
        this.labels = labels;
        BatchSize = batchSize;
    }

    /// <summary>A single batch (not copied; the caller keeps it alive while the operator is used).</summary>
    public static CurvatureData FromBatch(Tensor inputs, Tensor labels)
    {
        if (labels.dim() != 1 || inputs.dim() < 2 || inputs.shape[0] != labels.shape[0])
            throw new ArgumentException($"a batch needs inputs [B, …] and labels [B]; got [{string.Join(", ", inputs.shape)}] and [{string.Join(", ", labels.shape)}]");
        if (labels.shape[0] == 0) throw new ArgumentException("the batch is empty");
        return new CurvatureData(null, inputs, labels, (int)labels.shape[0]);
    }

    /// <summary>A data set streamed in batches of <paramref name="batchSize"/> (not copied).</summary>
    public static CurvatureData FromDataset(Dataset dataset, int batchSize = 1024)
    {
        if (dataset.Count == 0) throw new ArgumentException($"{dataset.Name} is empty: no curvature to measure");
        if (batchSize < 1) throw new ArgumentException($"batch size must be positive, got {batchSize}");
        return new CurvatureData(dataset, null, null, batchSize);
    }

    /// <summary>The same data streamed in batches of <paramref name="batchSize"/>.</summary>
    public CurvatureData WithBatchSize(int batchSize)
    {
        if (batchSize < 1) throw new ArgumentException($"batch size must be positive, got {batchSize}");
        return new CurvatureData(dataset, inputs, labels, batchSize);
    }

    /// <summary>The number of samples N.</summary>
    public long Count => dataset?.Count ?? labels!.shape[0];

    /// <summary>The streaming batch size.</summary>
    public int BatchSize { get; }

    /// <summary>Whether all the data is one batch (operators then cache their first backward graph).</summary>
    public bool IsSingleBatch => Count <= BatchSize;

    /// <summary>The shape of one sample.</summary>
    public long[] SampleShape => (dataset?.Features ?? inputs!).shape[1..];

    /// <summary>The batch number <paramref name="index"/> (0-based) on <paramref name="device"/>, inputs cast to <paramref name="dtype"/>.</summary>
    public Batch BatchAt(long index, Device device, ScalarType dtype)
    {
        long start = index * BatchSize;
        if (index < 0 || start >= Count) throw new ArgumentOutOfRangeException(nameof(index), $"batch {index} of a data set of {Count} in batches of {BatchSize}");
        var x = dataset?.Features ?? inputs!;
        var y = dataset?.Labels ?? labels!;
        long n = Math.Min(BatchSize, Count - start);
        return new Batch(x.narrow(0, start, n).to(dtype, device), y.narrow(0, start, n).to(device));
    }

    /// <summary>The batches on <paramref name="device"/>, inputs cast to <paramref name="dtype"/>; each is disposed by the caller's scope.</summary>
    public IEnumerable<Batch> Batches(Device device, ScalarType dtype)
    {
        for (long index = 0; index * BatchSize < Count; index++) yield return BatchAt(index, device, dtype);
    }
}
