using Basin.Training;

namespace Basin.Studies.Axes;

/// <summary>
/// <c>augmentation</c>: none / flip / crop1+flip / crop4+flip (seed 001 scenario II). Standard: every model to ≤ 2% train
/// error (augmented images are harder to fit, so the fixed 20-epoch budget would compare underfitted models with fitted ones).
/// </summary>
public sealed class AugmentationAxis : IStudyAxis
{
    /// <inheritdoc />
    public string Name => "augmentation";

    /// <inheritdoc />
    public string Description => "none / flip / crop1+flip / crop4+flip (seed 001 scenario II)";

    /// <inheritdoc />
    public IEnumerable<(string Label, TrainConfig Config)> Points(string preset, TrainConfig b)
    {
        foreach (var a in new[] { "none", "flip", "crop1+flip", "crop4+flip" })
            yield return (a, StudyAxes.ToCriterion(b with { Augment = a }, preset, "train-error<=0.02"));
    }
}
