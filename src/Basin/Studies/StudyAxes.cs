using System.Globalization;
using Basin.Metrics;
using Basin.Studies.Axes;
using Basin.Training;

namespace Basin.Studies;

/// <summary>
/// Every study axis (<see cref="IStudyAxis"/>, one file each under <c>Studies/Axes/</c>) and the presets that size them:
/// <c>quick</c> (minutes on 2 cores: a 10 000-sample subset, few epochs, light metric settings), <c>standard</c> (a larger
/// subset, more epochs and points, the spec's metric defaults at reduced sample counts) and <c>paper</c> (the full training
/// set and the papers' grids). <c>basin study</c>, the runner and the reports read this list; <see cref="Register"/> adds an axis.
/// </summary>
public static class StudyAxes
{
    private static readonly List<IStudyAxis> axes =
    [
        new WeightDecayAxis(), new RandomLabelsAxis(), new ConfusionSetAxis(), new AugmentationAxis(), new BatchSizeAxis(), new LearningRateAxis(),
        new OptimizerAxis(), new LossToZeroAxis(), new SubsamplingAxis(), new RegularizersAxis(), new RegularizersTuningAxis(), new BenchmarkPopulation(),
    ];

    private static readonly Lock Gate = new();

    /// <summary>Every axis, Basin's first, then registered ones.</summary>
    public static IReadOnlyList<IStudyAxis> All
    {
        get
        {
            lock (Gate) return axes.ToList();
        }
    }

    /// <summary>The axes <c>basin study</c> offers, with what each varies.</summary>
    public static IReadOnlyDictionary<string, string> Names => All.Where(a => a.Listed).ToDictionary(a => a.Name, a => a.Description);

    /// <summary>The axis a study of name <paramref name="name"/> was built on, or null (a study from a spec file of its own).</summary>
    public static IStudyAxis? Find(string name) => All.FirstOrDefault(a => a.Name == name);

    /// <summary>Adds an axis of your own, so that <see cref="Build"/>, the runner and the reports find it by name.</summary>
    /// <exception cref="ArgumentException">Its name is taken or is not lower-case words joined by dashes.</exception>
    public static void Register(IStudyAxis axis)
    {
        if (!System.Text.RegularExpressions.Regex.IsMatch(axis.Name, "^[a-z0-9]+(-[a-z0-9]+)*$"))
            throw new ArgumentException($"study axis name '{axis.Name}' must be lower-case words joined by dashes, like weight-decay");
        lock (Gate)
        {
            if (axes.Any(a => a.Name == axis.Name)) throw new ArgumentException($"a study axis named '{axis.Name}' is registered already");
            axes.Add(axis);
        }
    }

    /// <summary>What a study of name <paramref name="name"/> runs on each model after its metrics: its axis's extras, or the default ones.</summary>
    public static IReadOnlyList<IModelExtra> Extras(string name) => Find(name)?.Extras ?? [new DensityExtra(), new LandscapeExtra()];

    /// <summary>The sections of the report of a study of name <paramref name="name"/>: its axis's, or <see cref="StudyReport.Standard"/>.</summary>
    public static IReadOnlyList<IReportSection> Sections(string name) => Find(name)?.Sections ?? StudyReport.Standard();

    /// <summary>Models per grid point of <paramref name="axis"/> when <c>--seeds</c> is not given (<see cref="IStudyAxis.DefaultSeeds"/>).</summary>
    /// <exception cref="ArgumentException">Unknown axis.</exception>
    public static int DefaultSeeds(string axis, string preset) => Get(axis).DefaultSeeds(preset);

    /// <summary>Builds the study for <paramref name="axis"/> at <paramref name="preset"/>.</summary>
    /// <exception cref="ArgumentException">Unknown axis or preset, or an axis that needs what is not built yet.</exception>
    public static StudySpec Build(string axis, string preset, string data, string model, int seeds)
    {
        var found = Get(axis);
        if (seeds < 1 || seeds > 100) throw new ArgumentException($"--seeds must be between 1 and 100, got {seeds}");
        var (basis, measure, samples) = Preset(preset, data, model);
        var models = new List<StudyModel>();
        int first = found.FirstSeed;
        bool seeded = seeds > 1 || first > 0;
        foreach (var (label, config) in found.Points(preset, basis))
        {
            for (int seed = first; seed < first + seeds; seed++)
            {
                var coordinates = new Dictionary<string, string> { [axis] = label };
                if (seeded) coordinates["seed"] = seed.ToString(CultureInfo.InvariantCulture);
                models.Add(new StudyModel($"{axis}={label}" + (seeded ? $"_seed={seed}" : ""), config with { Seed = seed }, coordinates));
            }
        }
        return new StudySpec { Name = axis, Preset = preset, Models = models, Measure = measure, MeasureSamples = samples, Metrics = found.Metrics };
    }

    /// <summary>
    /// The standard preset's form of a grid point whose claim compares fitted models (studies.md protocol, Jiang et al.
    /// 2020): 5 000 images trained at a constant learning rate until <paramref name="criterion"/>, 400 epochs at most
    /// (measured: batch 1024 needs 229 epochs to reach 1%, batch 32 140). Quick and paper presets keep their budgets.
    /// </summary>
    public static TrainConfig ToCriterion(TrainConfig config, string preset, string criterion) =>
        preset == "standard" ? config with { TrainSubset = 5000, Epochs = 400, Until = criterion, Schedule = "constant" } : config;

    private static IStudyAxis Get(string axis) => Find(axis) is { Listed: true } found ? found
        : throw new ArgumentException($"unknown study axis '{axis}'; axes: {string.Join(", ", Names.Keys)}");

    private static (TrainConfig Basis, MeasureSettings Measure, int Samples) Preset(string preset, string data, string model) => preset switch
    {
        "quick" => (new TrainConfig { Model = model, Data = data, Epochs = 8, BatchSize = 128, LearningRate = 0.05, TrainSubset = 10_000, Schedule = "cosine", Optimizer = new(OptimizerKind.Sgd, 0.9, Nesterov: true) },
            new MeasureSettings { TraceProbes = 16, LanczosSteps = 20, SlqSteps = 30, SlqStarts = 2, FisherSubsets = 20, FiniteDifferenceProbes = 8, ExpectedSharpnessDraws = 16, KeskarSteps = 10 }, 2048),
        "standard" => (new TrainConfig { Model = model, Data = data, Epochs = 20, BatchSize = 128, LearningRate = 0.05, TrainSubset = 20_000, Schedule = "cosine", Optimizer = new(OptimizerKind.Sgd, 0.9, Nesterov: true) },
            new MeasureSettings { TraceProbes = 32, LanczosSteps = 40, SlqSteps = 40, SlqStarts = 2, FisherSubsets = 50 }, 5000),
        "paper" => (new TrainConfig { Model = model, Data = data, Epochs = 50, BatchSize = 128, LearningRate = 0.05, Schedule = "linear", Optimizer = new(OptimizerKind.Sgd, 0.9, Nesterov: true) },
            new MeasureSettings(), 10_000),
        _ => throw new ArgumentException($"unknown preset '{preset}': use quick, standard or paper"),
    };
}
