using Basin.Data;
using static TorchSharp.torch;

namespace Basin.Models;

/// <summary>
/// What measuring may know of how a model was trained — its initial weights, its training criterion and log, and, when
/// the run's config can train another network, a way to train a prior — handed down by the stage that trained it
/// (<c>TrainingRun.Record</c>), so that metrics and bounds read a training run without depending on, or starting, one.
/// </summary>
/// <param name="InitialWeights">The weights at initialisation, by parameter name (owned by the run).</param>
/// <param name="Config">The run's config as JSON: what identifies the run (the oracles seed their noise with it).</param>
/// <param name="Criterion">The training criterion (<c>--until</c>), or null for a fixed number of epochs.</param>
/// <param name="TrainingSamples">Samples trained on (subset plus confusion set), or 0 when the run trained on a whole split.</param>
/// <param name="BatchSize">The mini-batch size.</param>
/// <param name="Epochs">Epochs trained.</param>
/// <param name="ReachedCriterion">Whether the last epoch met the criterion.</param>
/// <param name="TestError">The test error of the model as it ends (its averaged weights' when averaging applied); NaN before an epoch.</param>
/// <param name="TrainPrior">Trains a new network by the run's config (a data-dependent PAC-Bayes prior); null when none can be.</param>
public sealed record TrainingRecord(
    IReadOnlyDictionary<string, Tensor> InitialWeights,
    string Config,
    string? Criterion,
    int TrainingSamples,
    int BatchSize,
    int Epochs,
    bool ReachedCriterion,
    double TestError,
    PriorTrainer? TrainPrior = null);

/// <summary>
/// Trains a new network by a run's config on <paramref name="samples"/> (logging its epochs on <paramref name="test"/>, or on
/// the samples without one) and returns its weights flattened in <c>ParameterSelection</c> order on <paramref name="device"/>;
/// the fraction done goes to <paramref name="progress"/>. The result belongs to the caller's dispose scope.
/// </summary>
public delegate Tensor PriorTrainer(Dataset samples, Dataset? test, Device device, IProgress<double>? progress);
