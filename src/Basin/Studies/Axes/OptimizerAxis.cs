using Basin.Training;

namespace Basin.Studies.Axes;

/// <summary>
/// <c>optimizer</c>: SGD vs Adam vs AdamW with decoupled decay (seed 002 §5), and Adam with iterate averaging over the last
/// quarter of training, those epochs at the constant averaging rate of its eq. 15, α_avg = 2α₀ (a cosine decayed to ~0 there
/// made the averaged iterates coincide).
/// </summary>
public sealed class OptimizerAxis : IStudyAxis
{
    /// <inheritdoc />
    public string Name => "optimizer";

    /// <inheritdoc />
    public string Description => "SGD vs Adam vs AdamW with decoupled decay (seed 002 §5)";

    /// <inheritdoc />
    public IEnumerable<(string Label, TrainConfig Config)> Points(string preset, TrainConfig b)
    {
        yield return ("sgd", b);
        yield return ("adam", b with { LearningRate = 1e-3, Optimizer = new(OptimizerKind.Adam, 0) });
        yield return ("adamw", b with { LearningRate = 1e-3, Optimizer = new(OptimizerKind.AdamW, 0, WeightDecay: 5e-2) });
        yield return ("adam+averaging", b with { LearningRate = 1e-3, Optimizer = new(OptimizerKind.Adam, 0), SwaStart = b.Epochs - b.Epochs / 4 + 1, SwaLearningRate = 2e-3 });
    }
}
