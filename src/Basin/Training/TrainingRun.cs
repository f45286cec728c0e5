using Basin.Data;
using Basin.Models;
using Basin.Operators;
using TorchSharp;
using static TorchSharp.torch;

namespace Basin.Training;

/// <summary>Where a training run is: for progress bars.</summary>
/// <param name="Epoch">The epoch under way (1-based).</param>
/// <param name="Epochs">The total number of epochs.</param>
/// <param name="Step">Steps done in this epoch.</param>
/// <param name="Steps">Steps per epoch.</param>
/// <param name="Loss">Running mean training loss of this epoch.</param>
public sealed record TrainProgress(int Epoch, int Epochs, int Step, int Steps, double Loss);

/// <summary>Training stopped because the loss became NaN or infinite.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);

/// <summary>
/// A deterministic training run: model, initial weights (kept for PAC-Bayes bounds), optimiser and
/// per-epoch log. Every random choice derives from the config's seed and the epoch number, so a run
/// resumed from a checkpoint reproduces an uninterrupted one exactly.
/// </summary>
public sealed class TrainingRun : IDisposable
{
    private readonly List<EpochLog> log;

    private TrainingRun(TrainConfig config, Model model, Dictionary<string, Tensor> initial, Optimizer optimizer, List<EpochLog> log)
    {
        Config = config;
        Model = model;
        InitialWeights = initial;
        Optimizer = optimizer;
        Method = StepMethod.Create(config.RegularizerSettings);
        Average = config.SwaStart > 0 ? new IterateAverage() : null;
        this.log = log;
    }

    /// <summary>The config.</summary>
    public TrainConfig Config { get; }

    /// <summary>The model being trained.</summary>
    public Model Model { get; }

    /// <summary>The weights at initialisation, by parameter name.</summary>
    public IReadOnlyDictionary<string, Tensor> InitialWeights { get; }

    /// <summary>The optimiser.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>How each step makes its gradient (plain, or a regulariser of <see cref="TrainConfig.Regularizer"/>).</summary>
    public StepMethod Method { get; }

    /// <summary>The iterate average, when <see cref="TrainConfig.SwaStart"/> asks for one.</summary>
    public IterateAverage? Average { get; }

    /// <summary>Train and test figures of the averaged weights, once the average has replaced the trained ones.</summary>
    public EpochLog? AveragedLog { get; internal set; }

    /// <summary>The figures of the model as it ends: the averaged weights' when averaging applied, else the last epoch's.</summary>
    public EpochLog FinalLog => AveragedLog ?? log[^1];

    /// <summary>The per-epoch log so far.</summary>
    public IReadOnlyList<EpochLog> Log => log;

    /// <summary>Epochs completed.</summary>
    public int EpochsDone => log.Count;

    /// <summary>Whether the config's criterion (<see cref="TrainConfig.Until"/>) was met by the last epoch; false without one.</summary>
    public bool ReachedCriterion => Config.Until is { } until && log.Count > 0 && TrainingCriterion.Parse(until).MetBy(log[^1]);

    /// <summary>Starts a run on <paramref name="device"/> (the CPU when null): validates the config and builds the model for the data.</summary>
    /// <exception cref="ArgumentException">The config is invalid.</exception>
    /// <exception cref="FormatException">The model spec does not fit the data.</exception>
    public static TrainingRun Start(TrainConfig config, Dataset train, Device? device = null)
    {
        config.Validate();
        var model = ModelZoo.Create(config.Model, train.SampleShape, train.NumClasses, config.Seed);
        return Create(config, model, [], Snapshot(model), device);
    }

    /// <summary>Rebuilds a run from its parts on <paramref name="device"/> (used by <see cref="Checkpoint"/>).</summary>
    internal static TrainingRun Create(TrainConfig config, Model model, List<EpochLog> log, Dictionary<string, Tensor> initial, Device? device)
    {
        model.Module.to(device ?? CPU);
        var optimizer = new Optimizer(config.Optimizer, model.Module.named_parameters());
        return new TrainingRun(config, model, initial, optimizer, log);
    }

    /// <summary>
    /// The training set the config asks for: the seeded subset (plus the confusion set), then the random-label corruption.
    /// The caller owns the result.
    /// </summary>
    public static Dataset PrepareTrainingSet(TrainConfig config, Dataset train)
    {
        if (config.TrainPool > 0)
        {
            if (config.TrainPool + config.Validation > train.Count)
                throw new ArgumentException($"a training pool of {config.TrainPool}{(config.Validation > 0 ? $" and a validation split of {config.Validation}" : "")} is more than the {train.Count} training samples of {train.Name}");
            using var pool = train.Subset(Enumerable.Range(0, config.TrainPool).Select(i => (long)i).ToArray(), $"{train.Name}[:{config.TrainPool}]");
            return PrepareTrainingSet(config with { TrainPool = 0, Validation = 0 }, pool);
        }
        if (config.Confusion > 0)
        {
            var confused = train.WithConfusionSet(config.TrainSubset, config.Confusion, config.Seed);
            if (!Noisy(config)) return confused;
            using (confused) return WithNoise(config, confused);
        }
        if (config.TrainSubset > train.Count)
            throw new ArgumentException($"--subset {config.TrainSubset} is more than the {train.Count} training samples of {train.Name}");
        var subset = train.SampleOrAll(config.TrainSubset, config.Seed);
        if (!Noisy(config)) return subset;
        using (subset) return WithNoise(config, subset);
    }

    private static bool Noisy(TrainConfig config) => config.UniformLabels > 0 || config.RandomLabels > 0;

    private static Dataset WithNoise(TrainConfig config, Dataset data) => config.UniformLabels > 0
        ? data.WithUniformLabels(config.UniformLabels, config.Seed)
        : data.WithRandomLabels(config.RandomLabels, config.Seed);

    /// <summary>
    /// Trains until <paramref name="untilEpoch"/> epochs are done (at most the config's) or the config's criterion
    /// is met, calling <paramref name="afterEpoch"/> after each. Evaluates train and test loss and error in eval mode.
    /// </summary>
    /// <exception cref="TrainingDivergedException">The loss became NaN or infinite.</exception>
    public void Train(Dataset train, Dataset test, int? untilEpoch = null, IProgress<TrainProgress>? progress = null,
        Action<TrainingRun>? afterEpoch = null, CancellationToken cancel = default)
    {
        CheckCompatible(train, test);
        var schedule = Schedule.Parse(Config.Schedule);
        var augmentation = Augmentation.Parse(Config.Augment);
        int until = Math.Min(untilEpoch ?? Config.Epochs, Config.Epochs);
        var named = Model.Module.named_parameters().ToArray();
        var parameters = named.Select(p => p.parameter).ToArray();
        var names = named.Select(p => p.name).ToArray();
        var device = parameters[0].device;
        int steps = (train.Count + Config.BatchSize - 1) / Config.BatchSize;
        while (EpochsDone < until && !ReachedCriterion)
        {
            cancel.ThrowIfCancellationRequested();
            int epoch = EpochsDone;
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var order = Shuffle.Permutation(train.Count, EpochSeed(epoch));
            var rng = new Random(EpochSeed(epoch) ^ 0x2545F491);
            double startLr = Config.LearningRateAt(epoch, schedule);
            double lossSum = 0;
            Model.Module.train();
            for (int step = 0; step < steps; step++)
            {
                using var scope = NewDisposeScope();
                var index = tensor(order[(step * Config.BatchSize)..Math.Min(train.Count, (step + 1) * Config.BatchSize)]);
                var x = train.Features.index_select(0, index);
                if (!augmentation.IsIdentity) x = augmentation.Apply(x, rng);
                x = x.to(device);
                var y = train.Labels.index_select(0, index).to(device);
                using var current = new TrainingStep(Model, parameters, x, y, Config.LabelSmoothing, epoch + 1, StepSeed(Optimizer.Steps), names);
                var (value, gradient) = Method.Gradient(current);
                if (!double.IsFinite(value))
                    throw new TrainingDivergedException($"training diverged in epoch {epoch + 1}, step {step + 1}: the loss is {value}; lower --lr (now {Config.LearningRate}) or add --clip");
                for (int i = 0; i < parameters.Length; i++) parameters[i].grad = gradient[i];
                if (Config.ClipNorm > 0) nn.utils.clip_grad_norm_(parameters, Config.ClipNorm);
                Optimizer.Step(Config.LearningRateAt(epoch + (double)step / steps, schedule));
                lossSum += value;
                progress?.Report(new TrainProgress(epoch + 1, Config.Epochs, step + 1, steps, lossSum / (step + 1)));
            }
            var (trainLoss, trainError) = Evaluation.Evaluate(Model, train, Config.EvalBatchSize);
            var (testLoss, testError) = Evaluation.Evaluate(Model, test, Config.EvalBatchSize);
            log.Add(new EpochLog(epoch + 1, startLr, trainLoss, trainError, testLoss, testError, watch.Elapsed.TotalSeconds));
            if (Average is { } average && epoch + 1 >= Config.SwaStart) average.Add(Model);
            if (Average is { Applied: false, Count: > 0 } done && (EpochsDone == Config.Epochs || ReachedCriterion)) FinishOnAverage(done, train, test, augmentation);
            afterEpoch?.Invoke(this);
        }
    }

    private void CheckCompatible(Dataset train, Dataset test)
    {
        if (train.Count == 0) throw new ArgumentException($"{train.Name} is empty: nothing to train on");
        if (test.Count == 0) throw new ArgumentException($"{test.Name} is empty: nothing to test on");
        if (!train.SampleShape.SequenceEqual(test.SampleShape))
            throw new ArgumentException($"train samples are {Dataset.Shape(train.SampleShape)} but test samples are {Dataset.Shape(test.SampleShape)}");
        Evaluation.CheckFits(Model, train);
    }

    private void FinishOnAverage(IterateAverage average, Dataset train, Dataset test, Augmentation augmentation)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        // Batch norm recomputed on the data as training saw it: through the training transform, seeded like an epoch.
        var rng = new Random(EpochSeed(EpochsDone) ^ 0x5A5A5A5);
        average.ApplyTo(Model, train, Config.BatchSize, augmentation.IsIdentity ? null : x => augmentation.Apply(x, rng));
        var (trainLoss, trainError) = Evaluation.Evaluate(Model, train, Config.EvalBatchSize);
        var (testLoss, testError) = Evaluation.Evaluate(Model, test, Config.EvalBatchSize);
        AveragedLog = new EpochLog(EpochsDone, log[^1].LearningRate, trainLoss, trainError, testLoss, testError, watch.Elapsed.TotalSeconds);
    }

    private ulong StepSeed(long step) => unchecked((ulong)(Config.Seed * 1_000_003L + step * 7_919L + 12_345L));

    private int EpochSeed(int epoch) => unchecked(Config.Seed * 7919 + epoch * 104729 + 17);

    /// <summary>
    /// What measuring may know of this run, as it stands now (<see cref="TrainingRecord"/>): its initial weights (still owned by the
    /// run), criterion, log figures, and a trainer of priors by its config.
    /// </summary>
    public TrainingRecord Record() => new(InitialWeights, Config.ToJson(), Config.Until, Config.TrainSubset == 0 ? 0 : Config.TrainSubset + Config.Confusion,
        Config.BatchSize, EpochsDone, ReachedCriterion, EpochsDone == 0 ? double.NaN : FinalLog.TestError, TrainPrior);

    private Tensor TrainPrior(Dataset samples, Dataset? test, Device device, IProgress<double>? progress)
    {
        using var prior = Start(Config, samples, device);
        prior.Train(samples, test ?? samples, progress: new CallbackProgress<TrainProgress>(p => progress?.Report(((p.Epoch - 1) + (double)p.Step / p.Steps) / p.Epochs)));
        return ParameterSelection.Flatten(ParameterSelection.Select(prior.Model.Module, null).Select(p => p.Value.detach()));
    }

    /// <summary>A detached copy of the model's parameters by name.</summary>
    internal static Dictionary<string, Tensor> Snapshot(Model model) =>
        model.Module.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone().DetachFromDisposeScope());

    /// <inheritdoc />
    public void Dispose()
    {
        Optimizer.Dispose();
        Method.Dispose();
        Average?.Dispose();
        foreach (var t in InitialWeights.Values) t.Dispose();
        Model.Dispose();
    }
}
