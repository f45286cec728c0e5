using TorchSharp;
using static TorchSharp.torch;

namespace Basin.Data;

/// <summary>
/// A labelled data set held in memory: features as one float32 tensor <c>[N, …]</c> and labels as one
/// int64 tensor <c>[N]</c>, on the CPU. Owns its tensors; operations return new data sets.
/// </summary>
public sealed class Dataset : IDisposable
{
    /// <summary>Wraps features and labels; takes ownership of both tensors.</summary>
    /// <exception cref="ArgumentException">Shapes, types or labels are inconsistent.</exception>
    public Dataset(string name, Tensor features, Tensor labels, int numClasses)
    {
        if (features.dtype is not (ScalarType.Float32 or ScalarType.Float64)) throw new ArgumentException($"{name}: features must be float32 or float64, got {features.dtype}");
        if (labels.dtype != ScalarType.Int64 || labels.dim() != 1) throw new ArgumentException($"{name}: labels must be a 1-D int64 tensor");
        if (features.dim() < 2 || features.shape[0] != labels.shape[0])
            throw new ArgumentException($"{name}: {features.shape[0]} feature rows but {labels.shape[0]} labels");
        if (numClasses < 1) throw new ArgumentException($"{name}: number of classes must be positive");
        if (labels.numel() > 0)
        {
            long min = labels.min().item<long>(), max = labels.max().item<long>();
            if (min < 0 || max >= numClasses)
                throw new ArgumentException($"{name}: labels span {min}..{max}, outside 0..{numClasses - 1}");
        }
        Name = name;
        Features = features;
        Labels = labels;
        NumClasses = numClasses;
    }

    /// <summary>A short name saying where the data came from.</summary>
    public string Name { get; }

    /// <summary>Features, float32 (float64 for references) <c>[N, …]</c>.</summary>
    public Tensor Features { get; }

    /// <summary>Labels, int64 <c>[N]</c>, in <c>0 … NumClasses−1</c>.</summary>
    public Tensor Labels { get; }

    /// <summary>The number of classes K.</summary>
    public int NumClasses { get; }

    /// <summary>The number of samples N.</summary>
    public int Count => (int)Labels.shape[0];

    /// <summary>The shape of one sample (features without the leading N).</summary>
    public long[] SampleShape => Features.shape[1..];

    /// <summary>The labels as a managed array.</summary>
    public long[] LabelArray() => Labels.data<long>().ToArray();

    /// <summary>The samples at <paramref name="indices"/>, in that order.</summary>
    public Dataset Subset(IReadOnlyList<long> indices, string? name = null)
    {
        foreach (var i in indices)
        {
            if (i < 0 || i >= Count) throw new ArgumentOutOfRangeException(nameof(indices), $"index {i} outside 0..{Count - 1}");
        }
        using var index = tensor(indices.ToArray(), ScalarType.Int64);
        return new Dataset(name ?? Name, Features.index_select(0, index), Labels.index_select(0, index), NumClasses);
    }

    /// <summary>The same features with other labels.</summary>
    public Dataset WithLabels(long[] labels, string name)
    {
        if (labels.Length != Count) throw new ArgumentException($"{labels.Length} labels for {Count} samples");
        return new Dataset(name, Features.clone(), tensor(labels, ScalarType.Int64), NumClasses);
    }

    /// <summary>Concatenates data sets with the same sample shape and classes.</summary>
    public static Dataset Concat(string name, params Dataset[] parts)
    {
        if (parts.Length == 0) throw new ArgumentException("nothing to concatenate");
        foreach (var p in parts)
        {
            if (!p.SampleShape.SequenceEqual(parts[0].SampleShape) || p.NumClasses != parts[0].NumClasses)
                throw new ArgumentException($"cannot concatenate {p.Name} ({Shape(p.SampleShape)}, {p.NumClasses} classes) with {parts[0].Name} ({Shape(parts[0].SampleShape)}, {parts[0].NumClasses} classes)");
        }
        return new Dataset(name, cat(parts.Select(p => p.Features).ToArray(), 0), cat(parts.Select(p => p.Labels).ToArray(), 0), parts[0].NumClasses);
    }

    /// <summary>Writes a shape as <c>1×28×28</c>.</summary>
    public static string Shape(IEnumerable<long> shape) => string.Join("×", shape);

    /// <inheritdoc />
    public override string ToString() => $"{Name}: {Count} samples of {Shape(SampleShape)}, {NumClasses} classes";

    /// <inheritdoc />
    public void Dispose()
    {
        Features.Dispose();
        Labels.Dispose();
    }
}

/// <summary>A training set and its test set.</summary>
public sealed record DataSplit(Dataset Train, Dataset Test) : IDisposable
{
    /// <inheritdoc />
    public void Dispose()
    {
        Train.Dispose();
        Test.Dispose();
    }
}
