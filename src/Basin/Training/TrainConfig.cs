using System.Text.Json;
using System.Text.Json.Serialization;

namespace Basin.Training;

/// <summary>Everything that determines a training run: with the same config the weights are identical.</summary>
public sealed record TrainConfig
{
    /// <summary>Model spec for <see cref="Models.ModelZoo"/>.</summary>
    public string Model { get; init; } = "mlp:784-256-256-10";

    /// <summary>Data spec for <see cref="Data.DataCatalog"/>.</summary>
    public string Data { get; init; } = "fashion-mnist";

    /// <summary>Seed of initialisation, shuffling, augmentation and label corruption.</summary>
    public int Seed { get; init; }

    /// <summary>Number of epochs (the cap when <see cref="Until"/> is set).</summary>
    public int Epochs { get; init; } = 10;

    /// <summary>Stop once this criterion is met (<see cref="TrainingCriterion"/>: <c>train-loss&lt;=X</c>, <c>train-error&lt;=X</c>); null trains every epoch.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Until { get; init; }

    /// <summary>Mini-batch size.</summary>
    public int BatchSize { get; init; } = 128;

    /// <summary>Base learning rate α₀.</summary>
    public double LearningRate { get; init; } = 0.05;

    /// <summary>Optimiser and its hyper-parameters.</summary>
    public OptimizerSettings Optimizer { get; init; } = new();

    /// <summary>Schedule text, see <see cref="Schedule.Parse"/>.</summary>
    public string Schedule { get; init; } = "constant";

    /// <summary>Global gradient-norm clip τ (0 = off).</summary>
    public double ClipNorm { get; init; }

    /// <summary>Label smoothing ε of the cross-entropy (0 = off).</summary>
    public double LabelSmoothing { get; init; }

    /// <summary>Augmentation text, see <see cref="Data.Augmentation.Parse"/>.</summary>
    public string Augment { get; init; } = "none";

    /// <summary>Fraction of training labels replaced by a label drawn from the K − 1 <em>other</em> classes (always wrong; Basin's only form before 2026-12-01).</summary>
    public double RandomLabels { get; init; }

    /// <summary>Fraction of training labels redrawn uniformly from all K classes (Zhang et al. 2017; the default form of <c>--random-labels</c>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public double UniformLabels { get; init; }

    /// <summary>Use only this many training samples (0 = all), drawn with the seed.</summary>
    public int TrainSubset { get; init; }

    /// <summary>
    /// Draw the subset from the first this-many training images only (0 = from all): the images past the pool are
    /// never trained on by any model of a population, so they measure its test error with a second, larger held-out set
    /// (the trust benchmark). Needs <see cref="TrainSubset"/>.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public int TrainPool { get; init; }

    /// <summary>
    /// A validation split: the first this-many training images past <see cref="TrainPool"/>, never trained on, evaluated on
    /// every model (<c>Studies.HeldOutExtra</c>) and left out of the unseen images that count as test data, so that a
    /// hyper-parameter chosen on it has not looked at the test images. Needs <see cref="TrainPool"/>.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public int Validation { get; init; }

    /// <summary>
    /// Confusion-set size (seed 001 §7.1): this many further training samples, disjoint from the subset,
    /// added with uniformly random labels. Needs <see cref="TrainSubset"/>.
    /// </summary>
    public int Confusion { get; init; }

    /// <summary>The step method, <c>NAME[:key=value,…]</c> (<see cref="RegularizerSettings"/>); null trains plainly.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Regularizer { get; init; }

    /// <summary>Average the weights of every epoch from this one on (1-based; 0 = off) and finish on the average (<see cref="IterateAverage"/>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public int SwaStart { get; init; }

    /// <summary>
    /// The constant learning rate of the averaged epochs (from <see cref="SwaStart"/> on), replacing the schedule there: SWA's
    /// SWALR (Izmailov et al. 2018) and seed 002 eq. 15's α_avg (2α₀ in its experiments). 0 keeps the schedule.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public double SwaLearningRate { get; init; }

    /// <summary>The learning rate at <paramref name="epoch"/> (0-based, fractional within it) under <paramref name="schedule"/> and the averaging rate.</summary>
    public double LearningRateAt(double epoch, Schedule schedule) =>
        SwaStart > 0 && SwaLearningRate > 0 && (int)epoch + 1 >= SwaStart ? SwaLearningRate : LearningRate * schedule.Factor(epoch, Epochs);

    /// <summary>The parsed <see cref="Regularizer"/>.</summary>
    [JsonIgnore]
    public RegularizerSettings RegularizerSettings => Regularizer is null ? RegularizerSettings.None : RegularizerSettings.Parse(Regularizer);

    /// <summary>Batch size for evaluation passes.</summary>
    public int EvalBatchSize { get; init; } = 1000;

    /// <summary>Throws <see cref="ArgumentException"/> with one clear line for the first bad setting.</summary>
    public void Validate()
    {
        // A config read from JSON may hold null where a value is required ("model": null): named before anything reads it.
        if (Model is null || Data is null || Optimizer is null || Schedule is null || Augment is null)
            throw new ArgumentException($"the config has no \"{(Model is null ? "model" : Data is null ? "data" : Optimizer is null ? "optimizer" : Schedule is null ? "schedule" : "augment")}\"");
        if (Epochs < 1 || Epochs > 100_000) throw new ArgumentException($"--epochs must be between 1 and 100000, got {Epochs}");
        if (BatchSize < 1) throw new ArgumentException($"--batch-size must be positive, got {BatchSize}");
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate)) throw new ArgumentException($"--lr must be a positive number, got {LearningRate}");
        if (!(ClipNorm >= 0)) throw new ArgumentException($"--clip must be ≥ 0, got {ClipNorm}");
        if (!(LabelSmoothing >= 0 && LabelSmoothing < 1)) throw new ArgumentException($"--label-smoothing must be in [0, 1), got {LabelSmoothing}");
        if (!(RandomLabels >= 0 && RandomLabels <= 1)) throw new ArgumentException($"--random-labels must be in [0, 1], got {RandomLabels}");
        if (!(UniformLabels >= 0 && UniformLabels <= 1)) throw new ArgumentException($"--random-labels must be in [0, 1], got {UniformLabels}");
        if (RandomLabels > 0 && UniformLabels > 0) throw new ArgumentException("label noise is either uniform over all classes or from the other classes, not both");
        if (TrainSubset < 0) throw new ArgumentException($"--subset must be ≥ 0, got {TrainSubset}");
        if (TrainPool < 0 || (TrainPool > 0 && (TrainSubset == 0 || TrainSubset + Confusion > TrainPool)))
            throw new ArgumentException($"a training pool must hold the subset and its confusion set: pool {TrainPool}, subset {TrainSubset}, confusion {Confusion}");
        if (Validation < 0 || (Validation > 0 && TrainPool == 0))
            throw new ArgumentException($"a validation split is the images past a training pool: it needs a pool and a non-negative count, got pool {TrainPool}, validation {Validation}");
        if (Confusion < 0 || (Confusion > 0 && TrainSubset == 0)) throw new ArgumentException("a confusion set needs a training subset size and a non-negative count");
        if (EvalBatchSize < 1) throw new ArgumentException("evaluation batch size must be positive");
        if (SwaStart < 0 || SwaStart > Epochs) throw new ArgumentException($"--swa-start must be an epoch between 1 and --epochs ({Epochs}), or 0 for no averaging; got {SwaStart}");
        if (!(SwaLearningRate >= 0) || double.IsInfinity(SwaLearningRate))
            throw new ArgumentException($"--swa-lr must be a positive number (or 0 to keep the schedule), got {SwaLearningRate}");
        if (SwaLearningRate > 0 && SwaStart == 0) throw new ArgumentException("--swa-lr needs --swa-start: it is the rate of the averaged epochs");
        Optimizer.Validate();
        try
        {
            if (Until is not null) TrainingCriterion.Parse(Until);
            if (Regularizer is not null) RegularizerSettings.Parse(Regularizer);
            Training.Schedule.Parse(Schedule);
            Basin.Data.Augmentation.Parse(Augment);
        }
        catch (FormatException e)
        {
            throw new ArgumentException(e.Message, e);
        }
    }

    /// <summary>The JSON form stored in checkpoints.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Reads the JSON form.</summary>
    public static TrainConfig FromJson(string json) =>
        JsonSerializer.Deserialize<TrainConfig>(json, JsonOptions) ?? throw new JsonException("empty training config");

    internal static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = false,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };
}

/// <summary>One epoch's record: learning rate at its start, train and test loss and error (error in [0, 1]).</summary>
public sealed record EpochLog(int Epoch, double LearningRate, double TrainLoss, double TrainError, double TestLoss, double TestError, double Seconds);
