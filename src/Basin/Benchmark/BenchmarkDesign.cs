using System.Globalization;
using System.Text.Json;
using Basin.Metrics;
using Basin.Studies;
using Basin.Training;

namespace Basin.Benchmark;

/// <summary>
/// A trust-benchmark design (Jiang et al. 2020; Dziugaite et al. 2020): data sets, the axes varied jointly on a full
/// factorial grid (every level of every axis crossed with every level of the others, so that pairs differing in one axis
/// and the granulated τ exist), seeds per grid point, and the one criterion every model is trained to. Read from a
/// <c>--spec</c> JSON file or built from a preset; <see cref="Build"/> makes it a study that runs, resumes and splits into
/// Slurm tasks like any other.
/// </summary>
public sealed record BenchmarkDesign
{
    /// <summary>The study name every benchmark carries (it selects the held-out evaluation of each model).</summary>
    public const string StudyName = Studies.Axes.BenchmarkPopulation.StudyName;

    /// <summary>The gap every score is computed against, fixed before any run: held-out error (test split and the unseen
    /// training images pooled) minus training error, in percentage points.</summary>
    public const string Target = "held-out error gap";

    /// <summary>The preset it came from, or "spec".</summary>
    public string Preset { get; init; } = "spec";

    /// <summary>The data sets (environments): catalogue names with 784 inputs and 10 classes (fashion-mnist, mnist).</summary>
    public List<string> Data { get; init; } = ["fashion-mnist", "mnist"];

    /// <summary>The axes varied and their levels (axis id → levels).</summary>
    public Dictionary<string, List<double>> Axes { get; init; } = [];

    /// <summary>The axes held fixed (axis id → level); an axis neither varied nor fixed keeps the basis value (1 hidden layer of 256, no decay, lr 0.05, batch 128, 1 000 images, clean labels).</summary>
    public Dictionary<string, double> Fixed { get; init; } = [];

    /// <summary>Seeds per grid point (0 … seeds − 1).</summary>
    public int Seeds { get; init; } = 1;

    /// <summary>The criterion every model is trained to; the epochs are the cap.</summary>
    public string Criterion { get; init; } = "train-loss<=0.01";

    /// <summary>The epoch cap.</summary>
    public int Epochs { get; init; } = 300;

    /// <summary>Training images each data set's subsets are drawn from (the rest of its training split is never trained on and is a second held-out set).</summary>
    public Dictionary<string, int> Pools { get; init; } = new() { ["fashion-mnist"] = 10_000, ["mnist"] = 4_000 };

    /// <summary>Metric ids, or <c>all</c>.</summary>
    public string Metrics { get; init; } = "all";

    /// <summary>Training samples each model is measured on (at most its training set).</summary>
    public int MeasureSamples { get; init; } = 2000;

    /// <summary>Metric settings.</summary>
    public MeasureSettings Measure { get; init; } = Light;

    /// <summary>The quick presets' metric settings: 16 probes, 20 Lanczos steps, SLQ 2 × 30, 20 Fisher subsets, 8 finite-difference probes, 16 weight-noise draws, 10 ascent steps.</summary>
    public static MeasureSettings Light { get; } = new() { TraceProbes = 16, LanczosSteps = 20, SlqSteps = 30, SlqStarts = 2, FisherSubsets = 20, FiniteDifferenceProbes = 8, ExpectedSharpnessDraws = 16, KeskarSteps = 10 };

    /// <summary>The presets by name, with what each is for.</summary>
    public static IReadOnlyDictionary<string, string> Presets { get; } = new Dictionary<string, string>
    {
        ["quick"] = "16 models: 2 data sets × learning rate × batch size × label noise, 1 seed, 500 images each (the main job, minutes on 2 cores)",
        ["standard"] = "2 data sets × 6 axes at 2 levels (width, weight decay, learning rate, batch size, training-set size, label noise), 2 seeds: 256 models (under an hour on 2 cores)",
        ["paper"] = "2 data sets × 7 axes at 3 levels (depth too), 2 seeds: 8 748 models (a Slurm array or a GPU)",
    };

    /// <summary>The design of preset <paramref name="preset"/>.</summary>
    /// <exception cref="ArgumentException">Unknown preset.</exception>
    public static BenchmarkDesign FromPreset(string preset) => preset switch
    {
        "quick" => new BenchmarkDesign
        {
            // Measured: lr 0.1 at batch 32 never fits Fashion-MNIST (train loss 0.24–0.78 after 300 epochs), so the rates are 0.02 and 0.05.
            Preset = preset, Seeds = 1, MeasureSamples = 500, Epochs = 500,
            Axes = new() { ["learning-rate"] = [0.02, 0.05], ["batch-size"] = [32, 128], ["label-noise"] = [0, 0.2] },
            Fixed = new() { ["train-size"] = 500, ["width"] = 256 },
        },
        "standard" => new BenchmarkDesign
        {
            // Levels every corner fits to cross-entropy 0.01 within the cap (measured: width 64, lr 0.02, batch 128, 2 000
            // images, 20% noise stalled at 0.035 after 400 epochs with decay 5e-4 and 0.012 with 1e-4).
            Preset = preset, Seeds = 2, MeasureSamples = 500, Epochs = 500,
            Axes = new()
            {
                ["width"] = [128, 512], ["weight-decay"] = [0, 1e-4], ["learning-rate"] = [0.02, 0.05],
                ["batch-size"] = [32, 128], ["train-size"] = [500, 1000], ["label-noise"] = [0, 0.2],
            },
        },
        "paper" => new BenchmarkDesign
        {
            Preset = preset, Seeds = 2, MeasureSamples = 5000, Epochs = 1000, Measure = new MeasureSettings(),
            Pools = new() { ["fashion-mnist"] = 20_000, ["mnist"] = 6_000 },
            Axes = new()
            {
                ["depth"] = [1, 2, 3], ["width"] = [64, 256, 1024], ["weight-decay"] = [0, 1e-4, 5e-4], ["learning-rate"] = [0.01, 0.02, 0.05],
                ["batch-size"] = [32, 128, 512], ["train-size"] = [1000, 2000, 5000], ["label-noise"] = [0, 0.1, 0.2],
            },
        },
        _ => throw new ArgumentException($"unknown preset '{preset}': use {string.Join(", ", Presets.Keys)}"),
    };

    /// <summary>The basis every grid point starts from: a 1-hidden-layer ReLU MLP of 256 trained by SGD with momentum 0.9 at a constant rate.</summary>
    public TrainConfig Basis(string data) => new()
    {
        Model = BenchmarkAxes.Mlp(784, 1, 256, 10), Data = data, Epochs = Epochs, BatchSize = 128, LearningRate = 0.05, TrainSubset = 1000,
        Schedule = "constant", Optimizer = new OptimizerSettings(OptimizerKind.Sgd, 0.9), Until = Criterion, TrainPool = Pools.GetValueOrDefault(data),
    };

    /// <summary>Checks the design; throws <see cref="ArgumentException"/> with one clear line.</summary>
    public void Validate()
    {
        if (Data.Count == 0) throw new ArgumentException("a benchmark needs at least one data set");
        foreach (var d in Data)
            if (d is not ("fashion-mnist" or "mnist")) throw new ArgumentException($"data set '{d}': the benchmark's MLPs take the 784-pixel, 10-class sets fashion-mnist and mnist");
        if (Data.Distinct().Count() != Data.Count) throw new ArgumentException("a data set is named twice");
        if (Axes.Count == 0) throw new ArgumentException("a benchmark varies at least one axis");
        foreach (var (axis, levels) in Axes)
        {
            BenchmarkAxes.Get(axis);
            if (levels.Count < 2) throw new ArgumentException($"axis {axis} needs at least two levels, got {levels.Count}");
            if (levels.Distinct().Count() != levels.Count) throw new ArgumentException($"axis {axis} names a level twice");
            if (Fixed.ContainsKey(axis)) throw new ArgumentException($"axis {axis} is both varied and fixed");
        }
        foreach (var axis in Fixed.Keys) BenchmarkAxes.Get(axis);
        if (Seeds < 1 || Seeds > 100) throw new ArgumentException($"seeds must be between 1 and 100, got {Seeds}");
        if (Epochs < 1 || Epochs > 100_000) throw new ArgumentException($"epochs must be between 1 and 100000, got {Epochs}");
        try { TrainingCriterion.Parse(Criterion); }
        catch (FormatException e) { throw new ArgumentException(e.Message, e); }
        if (MeasureSamples < 2) throw new ArgumentException("measure on at least 2 samples");
        long models = Data.Count * (long)Seeds * Axes.Values.Aggregate(1L, (n, l) => n * l.Count);
        if (models > 100_000) throw new ArgumentException($"the design has {models:N0} models; at most 100 000");
    }

    /// <summary>The study of this design: one model per data set × grid point × seed, named by its coordinates.</summary>
    /// <exception cref="ArgumentException">The design is invalid (a level out of range, a subset larger than its pool).</exception>
    public StudySpec Build()
    {
        Validate();
        var axes = Axes.Keys.ToList();
        var models = new List<StudyModel>();
        foreach (var data in Data)
        {
            foreach (var point in Grid(axes.Select(a => Axes[a]).ToList()))
            {
                var config = Basis(data);
                foreach (var (axis, level) in Fixed) config = BenchmarkAxes.Get(axis).Apply(config, level);
                for (int i = 0; i < axes.Count; i++) config = BenchmarkAxes.Get(axes[i]).Apply(config, point[i]);
                for (int seed = 0; seed < Seeds; seed++)
                {
                    var coordinates = new Dictionary<string, string> { ["data"] = data };
                    for (int i = 0; i < axes.Count; i++) coordinates[axes[i]] = StudySpec.Format(point[i]);
                    coordinates["seed"] = seed.ToString(CultureInfo.InvariantCulture);
                    string name = string.Join("_", coordinates.Select(c => $"{c.Key}={c.Value}"));
                    models.Add(new StudyModel(name, config with { Seed = seed }, coordinates));
                }
            }
        }
        var spec = new StudySpec { Name = StudyName, Preset = Preset, Models = models, Metrics = Metrics, Measure = Measure, MeasureSamples = MeasureSamples };
        spec.Validate();
        return spec;
    }

    /// <summary>Every combination of the levels, the first axis slowest.</summary>
    private static IEnumerable<double[]> Grid(IReadOnlyList<List<double>> levels)
    {
        IEnumerable<double[]> points = [[]];
        foreach (var axis in levels) points = points.SelectMany(p => axis.Select(v => (double[])[.. p, v]));
        return points;
    }

    /// <summary>The JSON form (snake_case keys, as study specs).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, StudySpec.Options);

    /// <summary>Reads a design a user wrote; an unknown key is an error.</summary>
    /// <exception cref="JsonException">Malformed, or an unknown key.</exception>
    public static BenchmarkDesign FromJson(string json) =>
        JsonSerializer.Deserialize<BenchmarkDesign>(json, Strict) ?? throw new JsonException("empty benchmark design");

    private static readonly JsonSerializerOptions Strict = new(StudySpec.Options) { UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow };
}
