using System.Globalization;
using Basin.Training;

namespace Basin.Studies.Axes;

/// <summary>
/// <c>loss-to-zero</c>: unregularised training ever longer (seed 002 Theorem 1), at a constant rate. Its report sets the
/// curvature against the training loss (<see cref="LossToZeroSection"/>) in place of the axis section: the epochs are the axis,
/// and what the theorem speaks of is the loss.
/// </summary>
public sealed class LossToZeroAxis : IStudyAxis
{
    /// <inheritdoc />
    public string Name => "loss-to-zero";

    /// <inheritdoc />
    public string Description => "unregularised training ever longer (seed 002 Theorem 1)";

    /// <inheritdoc />
    public IEnumerable<(string Label, TrainConfig Config)> Points(string preset, TrainConfig b)
    {
        foreach (var e in preset == "quick" ? new[] { 1, 2, 4, 8, 16 } : [2, 5, 10, 20, 40, 80])
            yield return (e.ToString(CultureInfo.InvariantCulture), b with { Epochs = e, Schedule = "constant", Optimizer = b.Optimizer with { WeightDecay = 0 } });
    }

    /// <inheritdoc />
    public IReadOnlyList<IReportSection> Sections => StudyReport.Standard(early: [new LossToZeroSection()], axisSection: false);
}
