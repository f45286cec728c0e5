using Basin.Training;

namespace Basin.Studies.Axes;

/// <summary>
/// <c>benchmark</c>: the trust benchmark's population, hyper-parameters varied jointly. <c>basin benchmark</c> builds it
/// (<c>BenchmarkDesign</c>) and writes its verdict; declared here for what every model runs after its metrics — the held-out
/// error of its unseen images — so that a task of it resumed anywhere (a Slurm array) runs the same.
/// </summary>
public sealed class BenchmarkPopulation : IStudyAxis
{
    /// <summary>Its name, the benchmark study's in <c>study.json</c>.</summary>
    public const string StudyName = "benchmark";

    /// <inheritdoc />
    public string Name => StudyName;

    /// <inheritdoc />
    public string Description => "the trust benchmark: hyper-parameters varied jointly (basin benchmark)";

    /// <inheritdoc />
    public bool Listed => false;

    /// <inheritdoc />
    public IEnumerable<(string Label, TrainConfig Config)> Points(string preset, TrainConfig basis) =>
        throw new ArgumentException("the benchmark's population is built by basin benchmark from its design, not by basin study");

    /// <inheritdoc />
    public IReadOnlyList<IModelExtra> Extras => [new HeldOutExtra()];
}
