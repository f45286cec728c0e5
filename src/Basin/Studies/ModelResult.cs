using Basin.Metrics;
using Basin.Training;

namespace Basin.Studies;

/// <summary>Batch vs full-sample curvature for one batch size (seed 000 §4.2).</summary>
/// <param name="BatchSize">The batch size of the estimate.</param>
/// <param name="TraceMean">Mean over batches of Tr H_B.</param>
/// <param name="TraceError">Its standard error over batches.</param>
/// <param name="SquareMean">Mean over batches of Tr H_B².</param>
/// <param name="SquareError">Its standard error over batches.</param>
public sealed record SubsamplingRow(int BatchSize, double TraceMean, double TraceError, double SquareMean, double SquareError);

/// <summary>A model's loss and error on training images that no model of its population trained on (past <see cref="TrainConfig.TrainPool"/>): its validation split or its unseen images.</summary>
/// <param name="Samples">How many images.</param>
/// <param name="Loss">Mean cross-entropy on them.</param>
/// <param name="Error">Error rate on them, in [0, 1].</param>
public sealed record HeldOutEvaluation(int Samples, double Loss, double Error);

/// <summary>Everything measured on one model of a study (saved as its <c>result.json</c>).</summary>
public sealed record ModelResult(
    string Name, Dictionary<string, string> Coordinates, TrainConfig Config, List<EpochLog> Log,
    double TrainLoss, double TrainError, double TestLoss, double TestError,
    List<MetricResult> Metrics, List<double[]> Density, List<SubsamplingRow> Subsampling, Landscape? Landscape, double TrainSeconds, double MeasureSeconds,
    int TestSamples = 0, string? Code = null, string? Finished = null,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] HeldOutEvaluation? Unseen = null,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] HeldOutEvaluation? Validation = null)
{
    /// <summary>
    /// The error on every held-out image the model's result has: the test split and, when measured, the unseen training
    /// images (<see cref="Unseen"/>), pooled; with the number of images. The benchmark's gap target.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public (double Error, int Samples) HeldOutError => Unseen is { } u && TestSamples > 0
        ? ((TestError * TestSamples + u.Error * u.Samples) / (TestSamples + u.Samples), TestSamples + u.Samples)
        : (TestError, TestSamples);

    /// <summary>Held-out error (test split and unseen training images pooled) minus train error, in percentage points.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public double HeldOutErrorGap => 100 * (HeldOutError.Error - TrainError);

    /// <summary>The binomial standard error of <see cref="HeldOutErrorGap"/> in percentage points (NaN without a held-out count).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public double HeldOutErrorGapStandardError => HeldOutError is var (e, n) && n > 0 ? 100 * Math.Sqrt(e * (1 - e) / n) : double.NaN;

    /// <summary>The Basin version that produced a result: the assembly's informational version, with the git commit it was built from.</summary>
    public static string CodeVersion { get; } =
        typeof(ModelResult).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion ?? "unknown";

    /// <summary>
    /// The binomial standard error of the error gap in percentage points, <c>100·√(e(1 − e)/n_test)</c>: the test
    /// error estimates the population's, the training error is exact for the training set. NaN when the test-set
    /// size was not saved (results from before 2026-12-01).
    /// </summary>
    public double ErrorGapStandardError => TestSamples > 0 ? 100 * Math.Sqrt(TestError * (1 - TestError) / TestSamples) : double.NaN;

    /// <summary>Whether the model was trained to a criterion (<see cref="TrainConfig.Until"/>) and stopped at the epoch cap without meeting it.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool HitCap => Config.Until is { } until && !TrainingCriterion.Parse(until).MetBy(Log[^1]);

    /// <summary>Test minus train loss.</summary>
    public double LossGap => TestLoss - TrainLoss;

    /// <summary>Test minus train error, in percentage points.</summary>
    public double ErrorGap => 100 * (TestError - TrainError);

    /// <summary>The value of metric <paramref name="id"/>; NaN when it was not measured or did not apply.</summary>
    public double Value(string id) => Metrics.FirstOrDefault(m => m.Id == id)?.Value ?? double.NaN;
}

/// <summary>The stage a study's model is in.</summary>
public enum StudyStage
{
    /// <summary>Training (the detail names the epoch).</summary>
    Training,

    /// <summary>Measuring a metric (the detail names it).</summary>
    Measuring,

    /// <summary>Running an extra of the study's axis (the detail names it).</summary>
    Extra,

    /// <summary>Finished: its result is saved.</summary>
    Done,
}

/// <summary>What a study is doing, for progress bars.</summary>
/// <param name="Model">Index of the model under way.</param>
/// <param name="Models">Number of models.</param>
/// <param name="Name">The model's name.</param>
/// <param name="Stage">The stage.</param>
/// <param name="Detail">Within the stage: "epoch 2/8", a metric id, an extra's name; empty when done.</param>
/// <param name="Fraction">Progress within the model, 0–1.</param>
public sealed record StudyProgress(int Model, int Models, string Name, StudyStage Stage, string Detail, double Fraction)
{
    /// <inheritdoc />
    public override string ToString() => Stage switch
    {
        StudyStage.Training => "training " + Detail,
        StudyStage.Measuring => "measuring " + Detail,
        StudyStage.Extra => Detail,
        _ => "done",
    };
}
