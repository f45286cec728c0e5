using System.Globalization;
using Basin.Training;

namespace Basin.Studies.Axes;

/// <summary><c>confusion-set</c>: extra training samples with random labels added to a clean subset (seed 001 §7.1, scenario I).</summary>
public sealed class ConfusionSetAxis : IStudyAxis
{
    /// <inheritdoc />
    public string Name => "confusion-set";

    /// <inheritdoc />
    public string Description => "extra training samples with random labels (seed 001 §7.1 scenario I)";

    /// <inheritdoc />
    public IEnumerable<(string Label, TrainConfig Config)> Points(string preset, TrainConfig b)
    {
        bool quick = preset == "quick";
        int clean = quick ? 2000 : 10_000;
        foreach (var k in quick ? new[] { 0, 500, 1000, 1500, 2000 } : [0, 1000, 2000, 3000, 4000, 5000])
            yield return (k.ToString(CultureInfo.InvariantCulture), b with { TrainSubset = clean, Confusion = k });
    }
}
