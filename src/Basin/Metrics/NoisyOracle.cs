using Basin.Data;

namespace Basin.Metrics;

/// <summary>
/// <c>oracle.test_error_noisy_1pp</c> and <c>oracle.test_error_noisy_5pp</c>: the model's test error (from its training
/// run's final log, in [0, 1]) plus Gaussian noise of standard deviation 0.01 or 0.05 — Jiang et al. 2020's oracle rows,
/// which tell a reader what a τ means (an oracle with 1 pp of noise is what a near-perfect measure scores). Never a
/// measure: it reads the answer. The noise is seeded by the measure seed and the run's seed.
/// </summary>
public sealed class NoisyOracle(int percentagePoints) : Metric($"oracle.test_error_noisy_{percentagePoints}pp",
    $"oracle: test error plus Gaussian noise of {percentagePoints} pp", "Jiang et al. 2020 §6 (oracle)", CostClass.Cheap)
{
    /// <inheritdoc />
    public override MetricRole Role => MetricRole.Oracle;

    /// <inheritdoc />
    public override string? NotApplicable(MetricContext context) => context.Run is null || context.Run.EpochsDone == 0 ? "needs the training run's test error: measure from a checkpoint" : null;

    /// <inheritdoc />
    public override MetricResult Compute(MetricContext context)
    {
        int seed = context.Settings.SeedFor(SeedStream.Oracle) * 1009 + context.Run!.Config.Seed * 31 + percentagePoints;
        double noise = new Random(seed).NextGaussian() * percentagePoints / 100.0;
        double testError = context.Run.FinalLog.TestError;
        return Result(context, testError + noise, double.NaN, [("noise_sd", percentagePoints / 100.0), ("seed", seed)], [("test_error", testError)]);
    }
}
