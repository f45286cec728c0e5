using static TorchSharp.torch;

namespace Basin.Data;

/// <summary>Seeded subsets, splits and label corruptions of a <see cref="Dataset"/>.</summary>
public static class DataTransforms
{
    /// <summary>A random subset of <paramref name="count"/> samples (seeded; order shuffled).</summary>
    public static Dataset Sample(this Dataset data, int count, int seed)
    {
        if (count < 1 || count > data.Count) throw new ArgumentOutOfRangeException(nameof(count), $"cannot take {count} samples from {data.Count}");
        return data.Subset(Shuffle.Permutation(data.Count, seed)[..count], $"{data.Name}[{count}]");
    }

    /// <summary>
    /// <paramref name="count"/> samples drawn with <paramref name="seed"/>, or a copy of all of them when
    /// <paramref name="count"/> is 0 or not below N. The caller owns the result.
    /// </summary>
    public static Dataset SampleOrAll(this Dataset data, int count, int seed) => data.Rows(data.SampleIndices(count, seed));

    /// <summary>The row numbers <see cref="SampleOrAll"/> takes, in its order: what a command writes so that its samples can be taken again, in Basin or in Python.</summary>
    public static long[] SampleIndices(this Dataset data, int count, int seed) =>
        count > 0 && count < data.Count ? Shuffle.Permutation(data.Count, seed)[..count].ToArray() : Enumerable.Range(0, data.Count).Select(i => (long)i).ToArray();

    /// <summary>The samples at <paramref name="indices"/>, named <c>NAME[k]</c> when they are k of them (the data set's own name when they are all of it).</summary>
    public static Dataset Rows(this Dataset data, IReadOnlyList<long> indices) =>
        data.Subset(indices, indices.Count < data.Count ? $"{data.Name}[{indices.Count}]" : data.Name);

    /// <summary>Row numbers as <c>indices.txt</c> holds them: one per line.</summary>
    public static string IndicesText(IEnumerable<long> rows) => string.Concat(rows.Select(r => r.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\n"));

    /// <summary>Splits off a validation set of ⌊fraction·N⌋ samples at random (seeded).</summary>
    public static DataSplit SplitValidation(this Dataset data, double fraction, int seed, string? trainName = null, string? validationName = null)
    {
        if (!(fraction > 0 && fraction < 1)) throw new ArgumentOutOfRangeException(nameof(fraction), $"validation fraction must be in (0, 1), got {fraction}");
        int nVal = (int)Math.Floor(fraction * data.Count);
        if (nVal < 1 || nVal >= data.Count) throw new ArgumentException($"a validation fraction of {fraction} of {data.Count} samples leaves an empty part");
        var perm = Shuffle.Permutation(data.Count, seed);
        return new DataSplit(data.Subset(perm[nVal..], trainName ?? data.Name + "/fit"), data.Subset(perm[..nVal], validationName ?? data.Name + "/validation"));
    }

    /// <summary>
    /// Replaces the labels of ⌊fraction·N⌋ randomly chosen samples with labels drawn uniformly from the
    /// other K−1 classes, so exactly that many labels are wrong (Zhang et al. 2017; seed 004 §6.1).
    /// </summary>
    public static Dataset WithRandomLabels(this Dataset data, double fraction, int seed) => data.WithNoisyLabels(fraction, seed, uniform: false);

    /// <summary>
    /// A copy in which ⌊fraction·n⌋ seeded samples get a label drawn uniformly from all K classes, as Zhang et
    /// al. 2017 do (so about 1/K of them keep their label by chance, and fraction 1 makes labels independent of
    /// the images). <see cref="WithRandomLabels"/> draws from the K − 1 other classes instead.
    /// </summary>
    public static Dataset WithUniformLabels(this Dataset data, double fraction, int seed) => data.WithNoisyLabels(fraction, seed, uniform: true);

    private static Dataset WithNoisyLabels(this Dataset data, double fraction, int seed, bool uniform)
    {
        if (!(fraction >= 0 && fraction <= 1)) throw new ArgumentOutOfRangeException(nameof(fraction), $"random-label fraction must be in [0, 1], got {fraction}");
        var labels = data.LabelArray();
        int n = (int)Math.Floor(fraction * labels.Length);
        var rng = new Random(seed);
        foreach (var i in Shuffle.Permutation(labels.Length, seed)[..n])
        {
            if (uniform)
            {
                labels[i] = rng.Next(data.NumClasses);
                continue;
            }
            long other = rng.Next(data.NumClasses - 1);
            labels[i] = other >= labels[i] ? other + 1 : other;
        }
        return data.WithLabels(labels, $"{data.Name}+{(uniform ? "uniform" : "random")}-labels({fraction})");
    }

    /// <summary>
    /// The confusion-set training set of seed 001 §7.1 (scenario I): <paramref name="trainSize"/> samples
    /// of <paramref name="pool"/> with their true labels, plus <paramref name="confusionSize"/> further
    /// samples of the pool (disjoint from the first) whose labels are drawn uniformly at random.
    /// </summary>
    public static Dataset WithConfusionSet(this Dataset pool, int trainSize, int confusionSize, int seed)
    {
        if (trainSize < 1 || confusionSize < 0 || trainSize + confusionSize > pool.Count)
            throw new ArgumentException($"a confusion set of {trainSize} + {confusionSize} samples does not fit in {pool.Count}");
        var perm = Shuffle.Permutation(pool.Count, seed);
        using var clean = pool.Subset(perm[..trainSize]);
        if (confusionSize == 0) return clean.Subset(Enumerable.Range(0, trainSize).Select(i => (long)i).ToArray(), $"{pool.Name}[{trainSize}]");
        using var extra = pool.Subset(perm[trainSize..(trainSize + confusionSize)]);
        var rng = new Random(seed + 1);
        var random = Enumerable.Range(0, confusionSize).Select(_ => (long)rng.Next(pool.NumClasses)).ToArray();
        using var confused = extra.WithLabels(random, "confusion");
        return Dataset.Concat($"{pool.Name}[{trainSize}]+confusion({confusionSize})", clean, confused);
    }
}

/// <summary>
/// Per-channel standardisation (x − μ_c) / σ_c with μ and σ fitted on a training set; for flat features,
/// per feature.
/// </summary>
public sealed record Standardizer(float[] Mean, float[] Std)
{
    /// <summary>Fits channel (images <c>[N, C, H, W]</c>) or feature (<c>[N, D]</c>) statistics.</summary>
    public static Standardizer Fit(Dataset train)
    {
        if (train.Count < 2) throw new ArgumentException("standardisation needs at least 2 samples");
        using var scope = NewDisposeScope();
        var x = train.Features;
        long[] dims = x.dim() == 2 ? [0] : [0, 2, 3];
        if (x.dim() != 2 && x.dim() != 4) throw new ArgumentException($"cannot standardise samples of shape {Dataset.Shape(train.SampleShape)}");
        var mean = x.mean(dims).data<float>().ToArray();
        var std = x.std(dims, unbiased: false).data<float>().ToArray().Select(s => Math.Max(s, 1e-6f)).ToArray();
        return new Standardizer(mean, std);
    }

    /// <summary>A standardised copy of <paramref name="data"/>.</summary>
    public Dataset Apply(Dataset data)
    {
        using var scope = NewDisposeScope();
        long channels = data.Features.shape[1];
        if (channels != Mean.Length) throw new ArgumentException($"standardizer fitted on {Mean.Length} channels, data has {channels}");
        long[] shape = data.Features.dim() == 2 ? [1, channels] : [1, channels, 1, 1];
        var mean = tensor(Mean).reshape(shape);
        var std = tensor(Std).reshape(shape);
        var x = ((data.Features - mean) / std).MoveToOuterDisposeScope();
        return new Dataset(data.Name + "+standardized", x, data.Labels.clone().MoveToOuterDisposeScope(), data.NumClasses);
    }
}
