using Basin.Training;

namespace Basin.Studies.Axes;

/// <summary>
/// <c>random-labels</c>: the fraction of training labels replaced at random (seed 004 §6.1). As Zhang et al. 2017: labels
/// redrawn uniformly from all K classes, every model trained until it memorises its training set (≥ 99% train accuracy),
/// on a subset small enough for that; the epochs are the cap.
/// </summary>
public sealed class RandomLabelsAxis : IStudyAxis
{
    /// <inheritdoc />
    public string Name => "random-labels";

    /// <inheritdoc />
    public string Description => "fraction of training labels replaced at random (seed 004 §6.1)";

    /// <inheritdoc />
    public IEnumerable<(string Label, TrainConfig Config)> Points(string preset, TrainConfig b)
    {
        bool quick = preset == "quick";
        foreach (var f in quick ? new[] { 0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8 } : Enumerable.Range(0, 11).Select(i => i / 10.0).ToArray())
            yield return (StudySpec.Format(f), b with
            {
                UniformLabels = f, TrainSubset = quick ? 1000 : 2000, Epochs = quick ? 200 : 400, Until = "train-error<=0.01",
                Schedule = "constant", Optimizer = b.Optimizer with { WeightDecay = 0 },
            });
    }
}
