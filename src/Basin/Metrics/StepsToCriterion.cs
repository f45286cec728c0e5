namespace Basin.Metrics;

/// <summary>
/// <c>baseline.steps_to_criterion</c>: the optimisation steps taken until the training criterion held — epochs trained ×
/// ⌈n/B⌉ steps per epoch (Jiang et al. 2020 §6, "number of steps to reach cross-entropy 0.01", a strong baseline in
/// their study). From the training run's log; not applicable without a run or without a criterion. A run that hit its
/// epoch cap short of the criterion reports its steps with the term <c>criterion_met</c> = 0.
/// </summary>
public sealed class StepsToCriterion() : Metric(MetricId, "optimisation steps until the training criterion held", "Jiang et al. 2020 §6 (baseline)", CostClass.Cheap)
{
    /// <summary>Its id, <c>baseline.steps_to_criterion</c>.</summary>
    public const string MetricId = "baseline.steps_to_criterion";

    /// <inheritdoc />
    public override MetricRole Role => MetricRole.Baseline;

    /// <inheritdoc />
    public override string? NotApplicable(MetricContext context) =>
        context.Training is null ? "needs the training run's log: measure from a checkpoint"
        : context.Training.Criterion is null ? "the run trained a fixed number of epochs (no --until criterion)"
        : context.Training.TrainingSamples == 0 ? "the training-set size is not in the run's config (trained on a whole split)"
        : null;

    /// <inheritdoc />
    public override MetricResult Compute(MetricContext context)
    {
        var run = context.Training!;
        int n = run.TrainingSamples;
        long perEpoch = (n + run.BatchSize - 1) / run.BatchSize;
        return Result(context, run.Epochs * perEpoch, 0, [("criterion", run.Criterion!), ("training_samples", n), ("batch_size", run.BatchSize)],
            [("epochs", run.Epochs), ("criterion_met", run.ReachedCriterion ? 1 : 0)]);
    }
}
