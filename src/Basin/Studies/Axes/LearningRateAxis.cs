using Basin.Training;

namespace Basin.Studies.Axes;

/// <summary><c>learning-rate</c>: the learning rate at a fixed batch (seed 003 Fig. 5–6); standard: every model to ≤ 1% train error.</summary>
public sealed class LearningRateAxis : IStudyAxis
{
    /// <inheritdoc />
    public string Name => "learning-rate";

    /// <inheritdoc />
    public string Description => "learning rate at fixed batch (seed 003 Fig. 5–6)";

    /// <inheritdoc />
    public IEnumerable<(string Label, TrainConfig Config)> Points(string preset, TrainConfig b)
    {
        foreach (var lr in preset == "quick" ? new[] { 0.003, 0.01, 0.03, 0.1 } : [0.002, 0.005, 0.01, 0.02, 0.05, 0.1])
            yield return (StudySpec.Format(lr), StudyAxes.ToCriterion(b with { LearningRate = lr }, preset, "train-error<=0.01"));
    }
}
