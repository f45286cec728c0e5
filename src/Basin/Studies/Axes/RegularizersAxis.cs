using Basin.Metrics;
using Basin.Training;

namespace Basin.Studies.Axes;

/// <summary>
/// <c>regularizers</c>: plain training against every regulariser of <see cref="StepMethodRegistry"/>, each at the strength
/// chosen on <see cref="RegularizersTuningAxis"/> (<see cref="TunedStrengths"/>), 8 paired seeds (2 in the quick preset; a
/// sign-flip test over 8 pairs reaches p = 0.008, over 5 only 0.0625), in the regime where a regulariser has something to
/// remove (<see cref="Overfitting"/>). It measures the methods' own metrics, not all: the study asks whether training changes
/// them, not which of them ranks a population best; its report compares each method with plain training of the same seed
/// (<see cref="MethodEffectsSection"/>).
/// </summary>
public sealed class RegularizersAxis : IStudyAxis
{
    /// <inheritdoc />
    public string Name => "regularizers";

    /// <inheritdoc />
    public string Description => "plain / trace-of-GGN (seed 000) / Fisher R_α (seed 001) / perturbed OPT (seed 003) / SAM / ASAM, paired by seed";

    /// <inheritdoc />
    public int DefaultSeeds(string preset) => preset == "quick" ? 2 : 8;

    /// <summary>What each method sets out to lower (<see cref="StepMethodInfo.Lowers"/> at its tuned strength), then the training-loss and steps baselines.</summary>
    public string Metrics => string.Join(",", TunedStrengths.Values.SelectMany(s => RegularizerSettings.Parse(s) is var r ? r.Method.Lowers(r) : [])
        .Append(TrainLossBaseline.MetricId).Append(StepsToCriterion.MetricId).Distinct());

    /// <summary>
    /// The strength of each method, chosen on <c>regularizers-tuning</c> by <see cref="TuningSection"/>'s rule — lowest mean
    /// validation error among the settings whose every model met the criterion — before the test images of the 8-seed study
    /// were read (docs/results/regularizers-tuning, 2026-12-04): R_α at its paper's α = 1e-4 and at 3e-4, and ASAM at ρ = 2,
    /// stopped short of the criterion in 300 epochs and were not eligible.
    /// </summary>
    public static IReadOnlyDictionary<string, string> TunedStrengths { get; } = new[]
    {
        TracePenalty.Info.With("eta=0.0003"), FisherTraceRegularizer.Info.With("alpha=3e-05"), PerturbedOptimization.Info.With("gamma=0.1"),
        SharpnessAwareStep.Sam.With("rho=0.1"), SharpnessAwareStep.Asam.With("rho=0.5"),
    }.ToDictionary(s => RegularizerSettings.Parse(s).Name);

    /// <inheritdoc />
    public IEnumerable<(string Label, TrainConfig Config)> Points(string preset, TrainConfig b)
    {
        yield return (MethodEffectsSection.Baseline, Overfitting(b, preset));
        foreach (var (method, setting) in TunedStrengths) yield return (method, Overfitting(b, preset) with { Regularizer = setting });
    }

    /// <inheritdoc />
    public IReadOnlyList<IModelExtra> Extras => [new DensityExtra(), new HeldOutExtra()];

    /// <inheritdoc />
    public IReadOnlyList<IReportSection> Sections => StudyReport.Standard(early: [new MethodEffectsSection()]);

    /// <summary>
    /// The regime of both regularizer axes: 5 000 images (2 000 quick) drawn from the first 50 000, on which plain SGD overfits
    /// (test error ≈ 16%, train ≈ 1%); every model trained at a constant rate until its training cross-entropy is ≤ 0.05 (300
    /// epochs at most); images 50 000–54 999 the validation split the strengths are chosen on, 55 000–59 999 held out with the test split.
    /// </summary>
    internal static TrainConfig Overfitting(TrainConfig b, string preset) => b with
    {
        TrainSubset = preset == "quick" ? 2000 : 5000, TrainPool = 50_000, Validation = 5000, Epochs = preset == "quick" ? 150 : 300, Until = "train-loss<=0.05", Schedule = "constant",
    };
}
