namespace Basin.Studies;

/// <summary>
/// The mean of paired differences <c>d_s = x_s − y_s</c> over n seeds, with its standard error
/// <c>s_d/√n</c> and the two-sided 95% Student-t interval <c>d̄ ± t_{0.975, n−1} · s_d/√n</c>. Pairing by
/// seed removes what the two arms share (initialisation, data order, subset) from the comparison.
/// </summary>
/// <param name="Mean">d̄.</param>
/// <param name="StandardError">s_d/√n (NaN for one pair).</param>
/// <param name="Low">Lower end of the 95% interval.</param>
/// <param name="High">Upper end.</param>
/// <param name="Pairs">n.</param>
public sealed record PairedDifference(double Mean, double StandardError, double Low, double High, int Pairs)
{
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
        return new PairedDifference(mean, se, mean - half, mean + half, n);
    }

    /// <summary>The 0.975 quantile of Student's t with <paramref name="df"/> degrees of freedom (table to 30, then the normal's 1.96 plus its first correction).</summary>
    public static double StudentT975(int df) => df switch
    {
        < 1 => double.NaN,
        <= 30 => Table[df - 1],
        _ => 1.959964 + 2.4 / df,
    };

    private static readonly double[] Table =
    [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
        2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
    ];
}
