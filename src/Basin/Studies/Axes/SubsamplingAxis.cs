using Basin.Training;

namespace Basin.Studies.Axes;

/// <summary>
/// <c>subsampling</c>: the batch size of the curvature estimate, batch vs full Tr H and Tr H² (seed 000 §4.2), on two models
/// (with and without weight decay); each runs <see cref="SubsamplingExtra"/> and its report adds <see cref="SubsamplingSection"/>.
/// </summary>
public sealed class SubsamplingAxis : IStudyAxis
{
    /// <inheritdoc />
    public string Name => "subsampling";

    /// <inheritdoc />
    public string Description => "batch size of the curvature estimate: batch vs full Tr H and Tr H² (seed 000 §4.2)";

    /// <inheritdoc />
    public IEnumerable<(string Label, TrainConfig Config)> Points(string preset, TrainConfig b)
    {
        yield return ("base", b);
        yield return ("base-wd", b with { Optimizer = b.Optimizer with { WeightDecay = 5e-4 } });
    }

    /// <inheritdoc />
    public IReadOnlyList<IModelExtra> Extras => [new DensityExtra(), new SubsamplingExtra(), new LandscapeExtra()];

    /// <inheritdoc />
    public IReadOnlyList<IReportSection> Sections => StudyReport.Standard(late: [new SubsamplingSection()]);
}
