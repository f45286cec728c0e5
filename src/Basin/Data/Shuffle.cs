namespace Basin.Data;

/// <summary>Seeded permutations and draws, identical across runs and platforms for a seed.</summary>
public static class Shuffle
{
    /// <summary>A uniformly random permutation of <c>0 … n−1</c> (Fisher–Yates) for <paramref name="seed"/>.</summary>
    public static long[] Permutation(int n, int seed)
    {
        var perm = new long[n];
        for (int i = 0; i < n; i++) perm[i] = i;
        var rng = new Random(seed);
        for (int i = n - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (perm[i], perm[j]) = (perm[j], perm[i]);
        }
        return perm;
    }

    /// <summary>A standard normal draw (Box–Muller).</summary>
    public static double NextGaussian(this Random rng)
    {
        double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
