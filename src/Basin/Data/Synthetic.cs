using static TorchSharp.torch;

namespace Basin.Data;

/// <summary>Synthetic classification sets, generated from a seed.</summary>
public static class Synthetic
{
    private static readonly double[,] ThreeMeans = { { -1.5, -1.0 }, { 1.5, -1.0 }, { 0.0, 1.5 } };

    /// <summary>
    /// The toy set of seed 003 §2 (Wang et al., Fig. 1b): <paramref name="count"/> points in 2-D from an
    /// equal mixture of three unit-variance Gaussians (means (−1.5, −1), (1.5, −1), (0, 1.5)); each
    /// point's component index is its raw label, binarised at the median of those indices (label 1 when
    /// above the median), as the paper does.
    /// </summary>
    public static Dataset ThreeGaussians(int count = 100, int seed = 0)
    {
        if (count < 2) throw new ArgumentOutOfRangeException(nameof(count), "need at least 2 points");
        var rng = new Random(seed);
        var x = new float[count * 2];
        var component = new int[count];
        for (int i = 0; i < count; i++)
        {
            int c = rng.Next(3);
            component[i] = c;
            x[2 * i] = (float)(ThreeMeans[c, 0] + rng.NextGaussian());
            x[2 * i + 1] = (float)(ThreeMeans[c, 1] + rng.NextGaussian());
        }
        var sorted = component.Order().ToArray();
        double median = count % 2 == 1 ? sorted[count / 2] : 0.5 * (sorted[count / 2 - 1] + sorted[count / 2]);
        var labels = component.Select(c => c > median ? 1L : 0L).ToArray();
        return new Dataset($"gaussians3(n={count},seed={seed})", tensor(x, new long[] { count, 2 }), tensor(labels, ScalarType.Int64), 2);
    }

    /// <summary>
    /// Gaussian-mixture classification in <paramref name="dimension"/> dimensions: class means drawn once
    /// from N(0, separation²/d · I) with the seed, samples = mean of a uniformly drawn class + N(0, I).
    /// The same seed gives the same means, so a train and a test set are drawn with one seed and two
    /// sample seeds.
    /// </summary>
    public static Dataset GaussianMixture(int dimension, int classes, int count, double separation = 4.0, int seed = 0, int sampleSeed = 1)
    {
        if (dimension < 1 || classes < 2 || count < 1)
            throw new ArgumentException($"Gaussian mixture needs d ≥ 1, K ≥ 2, n ≥ 1 (got d={dimension}, K={classes}, n={count})");
        var meanRng = new Random(seed);
        var means = new double[classes, dimension];
        double scale = separation / Math.Sqrt(dimension);
        for (int k = 0; k < classes; k++)
        {
            for (int j = 0; j < dimension; j++) means[k, j] = scale * meanRng.NextGaussian();
        }
        var rng = new Random(unchecked(seed * 1_000_003 + sampleSeed));
        var x = new float[count * dimension];
        var y = new long[count];
        for (int i = 0; i < count; i++)
        {
            int k = rng.Next(classes);
            y[i] = k;
            for (int j = 0; j < dimension; j++) x[i * dimension + j] = (float)(means[k, j] + rng.NextGaussian());
        }
        return new Dataset($"mixture(d={dimension},k={classes},n={count},seed={seed}/{sampleSeed})", tensor(x, new long[] { count, dimension }), tensor(y, ScalarType.Int64), classes);
    }
}
