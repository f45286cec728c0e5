namespace Basin.Estimators;

/// <summary>
/// Running mean and variance of scalar samples in float64 (Welford 1962): after the k-th sample x_k,
/// <c>μ_k = μ_{k−1} + (x_k − μ_{k−1}) / k</c> and <c>M_k = M_{k−1} + (x_k − μ_{k−1})(x_k − μ_k)</c>; the sample
/// variance is <c>M_n / (n − 1)</c> and the standard error of the mean <c>√(M_n / (n − 1) / n)</c>. The one place
/// Basin forms a mean ± standard error of scalars, streamed (<see cref="Add"/>) or from all samples at once (<see cref="Of"/>).
/// </summary>
public sealed class RunningStatistics
{
    private double mean;
    private double m2;

    /// <summary>The number of samples added.</summary>
    public int Count { get; private set; }

    /// <summary>The mean (0 before any sample).</summary>
    public double Mean => mean;

    /// <summary>The unbiased sample variance (NaN with fewer than two samples).</summary>
    public double Variance => Count > 1 ? m2 / (Count - 1) : double.NaN;

    /// <summary>The sample standard deviation (NaN with fewer than two samples).</summary>
    public double StandardDeviation => Math.Sqrt(Variance);

    /// <summary>The standard error of the mean (NaN with fewer than two samples).</summary>
    public double StandardError => Count > 1 ? Math.Sqrt(m2 / (Count - 1) / Count) : double.NaN;

    /// <summary>Standard error over |mean| (infinite when undefined).</summary>
    public double RelativeError => Count > 1 && mean != 0 ? StandardError / Math.Abs(mean) : double.PositiveInfinity;

    /// <summary>Adds one sample.</summary>
    public void Add(double x)
    {
        Count++;
        double delta = x - mean;
        mean += delta / Count;
        m2 += delta * (x - mean);
    }

    /// <summary>
    /// The statistics of <paramref name="samples"/>, all at hand: computed in two passes (the mean, then
    /// M = Σ(x − mean)²), as accurate as Welford's update or more.
    /// </summary>
    public static RunningStatistics Of(IEnumerable<double> samples)
    {
        var all = samples as IReadOnlyCollection<double> ?? samples.ToArray();
        if (all.Count == 0) return new RunningStatistics();
        double mean = all.Average();
        return new RunningStatistics { Count = all.Count, mean = mean, m2 = all.Sum(x => (x - mean) * (x - mean)) };
    }

    /// <summary>Mean and standard error of the mean of <paramref name="samples"/> (the error NaN with fewer than two).</summary>
    public static (double Mean, double StandardError) MeanAndError(IEnumerable<double> samples)
    {
        var stats = Of(samples);
        return (stats.Mean, stats.StandardError);
    }
}
