using Basin.Metrics;
using Basin.Training;

namespace Basin.Studies.Axes;

/// <summary>
/// <c>regularizers-tuning</c>: each regulariser at three strengths (<see cref="TuningGrid"/>) in the regime of
/// <see cref="RegularizersAxis"/>, chosen by validation error (images past the pool, never the test set; <see cref="TuningSection"/>)
/// on seeds of its own, 100 and 101, so that the strengths are not chosen on the study's seeds. Its models measure their
/// training loss only.
/// </summary>
public sealed class RegularizersTuningAxis : IStudyAxis
{
    /// <inheritdoc />
    public string Name => "regularizers-tuning";

    /// <inheritdoc />
    public string Description => "each method of the regularizers axis at 3 strengths, chosen by validation error (images past the pool, never the test set), seeds 100 and 101";

    /// <inheritdoc />
    public int FirstSeed => 100;

    /// <inheritdoc />
    public int DefaultSeeds(string preset) => 2;

    /// <inheritdoc />
    public string Metrics => TrainLossBaseline.MetricId;

    /// <summary>The strengths tried per method, fixed before it ran: each paper's default with one step either side (SAM's and ASAM's upward, where small data sets favour them).</summary>
    public static IReadOnlyDictionary<string, string[]> TuningGrid { get; } = new[]
    {
        Grid(TracePenalty.Info, "eta", "0.0001", "0.0003", "0.001"),
        Grid(FisherTraceRegularizer.Info, "alpha", "3e-05", "0.0001", "0.0003"),
        Grid(PerturbedOptimization.Info, "gamma", "0.1", "0.3", "1"),
        Grid(SharpnessAwareStep.Sam, "rho", "0.05", "0.1", "0.2"),
        Grid(SharpnessAwareStep.Asam, "rho", "0.5", "1", "2"),
    }.ToDictionary(g => g.Method, g => g.Settings);

    /// <inheritdoc />
    public IEnumerable<(string Label, TrainConfig Config)> Points(string preset, TrainConfig b)
    {
        yield return (MethodEffectsSection.Baseline, RegularizersAxis.Overfitting(b, preset));
        foreach (var setting in TuningGrid.Values.SelectMany(g => g))
            yield return (setting.Replace(':', '-'), RegularizersAxis.Overfitting(b, preset) with { Regularizer = setting });
    }

    /// <inheritdoc />
    public IReadOnlyList<IModelExtra> Extras => [new HeldOutExtra()];

    /// <inheritdoc />
    public IReadOnlyList<IReportSection> Sections => StudyReport.Standard(early: [new TuningSection(), new MethodEffectsSection()]);

    private static (string Method, string[] Settings) Grid(StepMethodInfo method, string key, params string[] values) =>
        (method.Name, values.Select(v => method.With($"{key}={v}")).ToArray());
}
