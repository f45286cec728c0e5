using Basin.Data;

namespace Basin.Metrics;

/// <summary>
/// <c>oracle.test_error_noisy_1pp</c> and <c>oracle.test_error_noisy_5pp</c>: the model's test error (from its training
/// run's final log, in [0, 1]) plus Gaussian noise of standard deviation 0.01 or 0.05 — Jiang et al. 2020's oracle rows,
/// which tell a reader what a τ means (an oracle with 1 pp of noise is what a near-perfect measure scores). Never a
/// measure: it reads the answer. The noise is drawn from a seed that hashes the run's whole config with the measure seed,
/// so models of one population get independent draws (the trust benchmark puts the same noise on its own target instead,
/// seeded by the model's name: <see cref="Noise"/>).
/// </summary>
public sealed class NoisyOracle(int percentagePoints) : Metric($"oracle.test_error_noisy_{percentagePoints}pp",
    $"oracle: test error plus Gaussian noise of {percentagePoints} pp", "Jiang et al. 2020 §6 (oracle)", CostClass.Cheap)
{
    /// <summary>The noise's standard deviation in percentage points.</summary>
    public int PercentagePoints { get; } = percentagePoints;

    /// <inheritdoc />
    public override MetricRole Role => MetricRole.Oracle;

    /// <inheritdoc />
    public override string? NotApplicable(MetricContext context) => context.Training is null || context.Training.Epochs == 0 ? "needs the training run's test error: measure from a checkpoint" : null;

    /// <inheritdoc />
    public override MetricResult Compute(MetricContext context)
    {
        string key = $"{context.Training!.Config}|{context.Settings.SeedFor(SeedStream.Oracle)}";
        double noise = Noise(key, PercentagePoints) * PercentagePoints / 100.0;
        double testError = context.Training.TestError;
        return Result(context, testError + noise, 0, [("noise_sd", PercentagePoints / 100.0), ("seed", "FNV-1a of the run's config and the measure seed")], [("test_error", testError)]);
    }

    /// <summary>A standard normal draw seeded by the 32-bit FNV-1a hash of <paramref name="key"/> and the noise level: the same key, the same draw, in any process.</summary>
    public static double Noise(string key, int percentagePoints)
    {
        uint hash = 2166136261;
        foreach (char c in $"{key}|{percentagePoints}")
        {
            hash ^= c;
            hash *= 16777619;
        }
        return new Random((int)(hash & 0x7fffffff)).NextGaussian();
    }
}
