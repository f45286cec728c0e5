using System.Globalization;
using Basin.Training;

namespace Basin.Studies.Axes;

/// <summary>
/// <c>batch-size</c>: the mini-batch size (seed 001 scenario III, seed 003 Fig. 3–4). Standard: every model to ≤ 1% train error
/// at the same constant learning rate, so that large batches are not simply stopped earlier (fewer steps in 20 epochs) than small ones.
/// </summary>
public sealed class BatchSizeAxis : IStudyAxis
{
    /// <inheritdoc />
    public string Name => "batch-size";

    /// <inheritdoc />
    public string Description => "mini-batch size (seed 001 scenario III, seed 003 Fig. 3–4)";

    /// <inheritdoc />
    public IEnumerable<(string Label, TrainConfig Config)> Points(string preset, TrainConfig b)
    {
        foreach (var bs in preset == "quick" ? new[] { 32, 128, 512, 2048 } : [32, 64, 128, 256, 512, 1024])
            yield return (bs.ToString(CultureInfo.InvariantCulture), StudyAxes.ToCriterion(b with { BatchSize = bs }, preset, "train-error<=0.01"));
    }
}
