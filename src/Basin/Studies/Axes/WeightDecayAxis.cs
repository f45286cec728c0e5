using Basin.Training;

namespace Basin.Studies.Axes;

/// <summary>
/// <c>weight-decay</c>: the L2 coefficient γ (seed 000 Tables 1–5, seed 002 §4). Quick: eight smaller models, each trained to
/// the same criterion (≤ 2% train error, Jiang et al. 2020), so that 8 models can reach p &lt; 0.05 and no model's gap is an
/// artefact of stopping early.
/// </summary>
public sealed class WeightDecayAxis : IStudyAxis
{
    /// <inheritdoc />
    public string Name => "weight-decay";

    /// <inheritdoc />
    public string Description => "L2 coefficient γ (seed 000 Tables 1–5, seed 002 §4)";

    /// <inheritdoc />
    public IEnumerable<(string Label, TrainConfig Config)> Points(string preset, TrainConfig b)
    {
        if (preset == "quick")
        {
            foreach (var wd in new[] { 0, 1e-4, 3e-4, 1e-3, 2e-3, 3e-3, 5e-3, 1e-2 })
                yield return (StudySpec.Format(wd), b with { TrainSubset = 2000, Epochs = 150, Until = "train-error<=0.02", Schedule = "constant", Optimizer = b.Optimizer with { WeightDecay = wd } });
            yield break;
        }
        foreach (var wd in new[] { 0, 1e-4, 3e-4, 5e-4, 1e-3, 2e-3, 5e-3 })
            yield return (StudySpec.Format(wd), b with { Optimizer = b.Optimizer with { WeightDecay = wd } });
    }
}
