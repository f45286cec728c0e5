namespace Basin.Studies;

/// <summary>
/// The mean of paired differences <c>d_s = x_s − y_s</c> over n seeds, with its standard error
/// <c>s_d/√n</c> and the two-sided 95% Student-t interval <c>d̄ ± t_{0.975, n−1} · s_d/√n</c>. Pairing by
/// seed removes what the two arms share (initialisation, data order, subset) from the comparison. With it, the exact
/// two-sided sign-flip p-value (no normality assumed) and the smallest effect the design detects.
/// </summary>
/// <param name="Mean">d̄.</param>
/// <param name="StandardError">s_d/√n (NaN for one pair).</param>
/// <param name="Low">Lower end of the 95% interval.</param>
/// <param name="High">Upper end.</param>
/// <param name="Pairs">n.</param>
/// <param name="SignFlipP">
/// The exact two-sided sign-flip permutation p-value of H₀ "the differences are symmetric about 0": the share of the 2ⁿ
/// sign assignments whose |mean| is at least the observed one (n ≤ 20; NaN above, and for one pair). Its floor is 2/2ⁿ:
/// 0.0625 for 5 pairs, 0.0078 for 8.
/// </param>
public sealed record PairedDifference(double Mean, double StandardError, double Low, double High, int Pairs, double SignFlipP = double.NaN)
{
    /// <summary>
    /// The smallest true mean difference the paired t-test detects at two-sided α = 0.05 with 80% power, given the observed
    /// spread: <c>(t_{0.975, n−1} + t_{0.80, n−1}) · s_d/√n</c>. Effects below it are not testable with these seeds.
    /// </summary>
    public double MinimumDetectable => Pairs < 2 ? double.NaN : (StudentT975(Pairs - 1) + StudentT80(Pairs - 1)) * StandardError;

    /// <summary>Whether the interval excludes zero.</summary>
    public bool Excludes0 => Low > 0 || High < 0;

    /// <summary>The difference of the pairs (<paramref name="x"/>[i] − <paramref name="y"/>[i]).</summary>
    /// <exception cref="ArgumentException">The lists differ in length or are empty.</exception>
    public static PairedDifference Of(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        if (x.Count != y.Count || x.Count == 0) throw new ArgumentException($"paired differences need two lists of the same positive length, got {x.Count} and {y.Count}");
        var d = x.Select((v, i) => v - y[i]).ToArray();
        int n = d.Length;
        double mean = d.Average();
        if (n == 1) return new PairedDifference(mean, double.NaN, double.NaN, double.NaN, 1);
        double se = Math.Sqrt(d.Sum(v => (v - mean) * (v - mean)) / (n - 1) / n);
        double half = StudentT975(n - 1) * se;
        return new PairedDifference(mean, se, mean - half, mean + half, n, SignFlip(d));
    }

    /// <summary>The exact two-sided sign-flip p-value of <paramref name="d"/> (NaN beyond 20 pairs).</summary>
    public static double SignFlip(IReadOnlyList<double> d)
    {
        int n = d.Count;
        if (n < 1 || n > 20) return double.NaN;
        double observed = Math.Abs(d.Sum());
        // A relative tolerance so that assignments equal to the observed sum in exact arithmetic count despite rounding.
        double tolerance = 1e-12 * d.Sum(Math.Abs);
        long atLeast = 0;
        for (long mask = 0; mask < 1L << n; mask++)
        {
            double sum = 0;
            for (int i = 0; i < n; i++) sum += (mask >> i & 1) == 1 ? -d[i] : d[i];
            if (Math.Abs(sum) >= observed - tolerance) atLeast++;
        }
        return (double)atLeast / (1L << n);
    }

    /// <summary>The 0.80 quantile of Student's t with <paramref name="df"/> degrees of freedom (table to 30, then the normal's 0.8416 plus its first correction).</summary>
    public static double StudentT80(int df) => Quantile(df, Table80, 0.841621, 0.36);

    private static readonly double[] Table80 =
    [
        1.376, 1.061, 0.978, 0.941, 0.920, 0.906, 0.896, 0.889, 0.883, 0.879, 0.876, 0.873, 0.870, 0.868, 0.866,
        0.865, 0.863, 0.862, 0.861, 0.860, 0.859, 0.858, 0.858, 0.857, 0.856, 0.856, 0.855, 0.855, 0.854, 0.854,
    ];

    /// <summary>The 0.975 quantile of Student's t with <paramref name="df"/> degrees of freedom (table to 30, then the normal's 1.96 plus its first correction).</summary>
    public static double StudentT975(int df) => Quantile(df, Table, 1.959964, 2.4);

    /// <summary>A t quantile: from <paramref name="table"/> up to 30 degrees of freedom, then the normal's <paramref name="normal"/> plus <paramref name="correction"/>/df.</summary>
    private static double Quantile(int df, double[] table, double normal, double correction) => df switch
    {
        < 1 => double.NaN,
        <= 30 => table[df - 1],
        _ => normal + correction / df,
    };

    private static readonly double[] Table =
    [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
        2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
    ];
}
