using System.Globalization;
using Basin.Metrics;
using Basin.Training;

namespace Basin.Studies;

/// <summary>
/// The study axes of <c>shared/spec/studies.md</c> and the presets that size them: <c>quick</c> (minutes on
/// 2 cores: a 10 000-sample subset, few epochs, light metric settings), <c>standard</c> (a larger subset,
/// more epochs and points, the spec's metric defaults at reduced sample counts) and <c>paper</c> (the full
/// training set and the papers' grids).
/// </summary>
public static class StudyAxes
{
    /// <summary>The axes with what each varies.</summary>
    public static IReadOnlyDictionary<string, string> Names { get; } = new Dictionary<string, string>
    {
        ["weight-decay"] = "L2 coefficient γ (seed 000 Tables 1–5, seed 002 §4)",
        ["random-labels"] = "fraction of training labels replaced at random (seed 004 §6.1)",
        ["confusion-set"] = "extra training samples with random labels (seed 001 §7.1 scenario I)",
        ["augmentation"] = "none / flip / crop1+flip / crop4+flip (seed 001 scenario II)",
        ["batch-size"] = "mini-batch size (seed 001 scenario III, seed 003 Fig. 3–4)",
        ["learning-rate"] = "learning rate at fixed batch (seed 003 Fig. 5–6)",
        ["optimizer"] = "SGD vs Adam vs AdamW with decoupled decay (seed 002 §5)",
        ["loss-to-zero"] = "unregularised training ever longer (seed 002 Theorem 1)",
        ["subsampling"] = "batch size of the curvature estimate: batch vs full Tr H and Tr H² (seed 000 §4.2)",
        ["regularizers"] = "plain / trace-of-GGN (seed 000) / Fisher R_α (seed 001) / perturbed OPT (seed 003) / SAM / ASAM on 5 000 images, each at its strength chosen on regularizers-tuning, 8 paired seeds",
        ["regularizers-tuning"] = "each method of the regularizers axis at 3 strengths, chosen by validation error (images past the pool, never the test set), seeds 100 and 101",
    };

    /// <summary>
    /// What the study named <paramref name="name"/> runs on each model after its metrics, in order: the SLQ
    /// density (for the spectra plot), the sub-sampled curvature on the <c>subsampling</c> axis, and the
    /// loss landscape.
    /// </summary>
    public static IReadOnlyList<IModelExtra> Extras(string name) => name switch
    {
        "subsampling" => [new DensityExtra(), new SubsamplingExtra(), new LandscapeExtra()],
        "regularizers" => [new DensityExtra(), new HeldOutExtra()],
        "regularizers-tuning" => [new HeldOutExtra()],
        "benchmark" => [new HeldOutExtra()],
        _ => [new DensityExtra(), new LandscapeExtra()],
    };

    /// <summary>
    /// The methods' own metrics (what each sets out to lower) measured on the <c>regularizers</c> axis, instead of
    /// all 27: that study asks whether training changes them, not which of them ranks a population best.
    /// </summary>
    public const string RegularizerMetrics = "ggn.trace,hessian.trace,fisher.trace,fisher.logdet_subsampled,pacgen,sharpness.keskar,hessian.top_eigenvalue,baseline.train_loss,baseline.steps_to_criterion";

    /// <summary>What the tuning models measure: their training loss only (the choice reads the validation error, <see cref="TuningSection"/>).</summary>
    public const string TuningMetrics = "baseline.train_loss";

    /// <summary>
    /// The strength of each method on the <c>regularizers</c> axis, chosen on <c>regularizers-tuning</c> (the grids below) by
    /// <see cref="TuningSection"/>'s rule — lowest mean validation error among the settings whose every model met the
    /// criterion — before the test images of the 8-seed study were read (docs/results/regularizers-tuning).
    /// </summary>
    public static IReadOnlyDictionary<string, string> TunedStrengths { get; } = new Dictionary<string, string>
    {
        // Chosen on 2026-12-04 (docs/results/regularizers-tuning/report.md): R_α at its paper's α = 1e-4 and at 3e-4, and ASAM
        // at ρ = 2, stopped short of the criterion in 300 epochs and were not eligible.
        ["trace"] = "trace:eta=0.0003", ["fisher"] = "fisher:alpha=3e-05", ["perturbed"] = "perturbed:gamma=0.1", ["sam"] = "sam:rho=0.1", ["asam"] = "asam:rho=0.5",
    };

    /// <summary>The strengths tried per method on <c>regularizers-tuning</c>, fixed before it ran: each paper's default with one step either side (SAM's and ASAM's upward, where small data sets favour them).</summary>
    public static IReadOnlyDictionary<string, string[]> TuningGrid { get; } = new Dictionary<string, string[]>
    {
        ["trace"] = ["trace:eta=0.0001", "trace:eta=0.0003", "trace:eta=0.001"],
        ["fisher"] = ["fisher:alpha=3e-05", "fisher:alpha=0.0001", "fisher:alpha=0.0003"],
        ["perturbed"] = ["perturbed:gamma=0.1", "perturbed:gamma=0.3", "perturbed:gamma=1"],
        ["sam"] = ["sam:rho=0.05", "sam:rho=0.1", "sam:rho=0.2"],
        ["asam"] = ["asam:rho=0.5", "asam:rho=1", "asam:rho=2"],
    };

    /// <summary>
    /// Models per grid point when <c>--seeds</c> is not given: 8 on the <c>regularizers</c> axis (2 in its quick preset; a
    /// sign-flip test over 8 pairs reaches p = 0.008, over 5 only 0.0625); 2 on its tuning axis; 2 in the standard and paper
    /// presets of the other axes (studies.md: a claim is not made from one seed); 1 in quick presets, which must fit minutes.
    /// </summary>
    public static int DefaultSeeds(string axis, string preset) => (axis, preset) switch
    {
        ("regularizers", "quick") => 2,
        ("regularizers", _) => 8,
        ("regularizers-tuning", _) => 2,
        (_, "quick") => 1,
        _ => 2,
    };

    /// <summary>Builds the study for <paramref name="axis"/> at <paramref name="preset"/>.</summary>
    /// <exception cref="ArgumentException">Unknown axis or preset, or an axis that needs what is not built yet.</exception>
    public static StudySpec Build(string axis, string preset, string data, string model, int seeds)
    {
        if (!Names.ContainsKey(axis)) throw new ArgumentException($"unknown study axis '{axis}'; axes: {string.Join(", ", Names.Keys)}");
        if (seeds < 1 || seeds > 100) throw new ArgumentException($"--seeds must be between 1 and 100, got {seeds}");
        var (basis, measure, samples) = Preset(preset, data, model);
        var points = Points(axis, preset, basis);
        var models = new List<StudyModel>();
        foreach (var (label, config) in points)
        {
            // The tuning models draw their own seeds (100, 101, …): the strengths are not chosen on the study's own seeds.
        int first = axis == "regularizers-tuning" ? 100 : 0;
        for (int seed = first; seed < first + seeds; seed++)
            {
                var coordinates = new Dictionary<string, string> { [axis] = label };
                if (seeds > 1 || first > 0) coordinates["seed"] = seed.ToString(CultureInfo.InvariantCulture);
                models.Add(new StudyModel($"{axis}={label}" + (seeds > 1 || first > 0 ? $"_seed={seed}" : ""), config with { Seed = seed }, coordinates));
            }
        }
        return new StudySpec { Name = axis, Preset = preset, Models = models, Measure = measure, MeasureSamples = samples, Metrics = axis switch { "regularizers" => RegularizerMetrics, "regularizers-tuning" => TuningMetrics, _ => "all" } };
    }

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

    private static IEnumerable<(string Label, TrainConfig Config)> Points(string axis, string preset, TrainConfig b)
    {
        bool quick = preset == "quick";
        switch (axis)
        {
            case "weight-decay":
                // Quick: eight smaller models, each trained to the same criterion (≤ 2% train error, Jiang et al.
                // 2020), so that 8 models can reach p < 0.05 and no model's gap is an artefact of stopping early.
                if (quick)
                {
                    foreach (var wd in new[] { 0, 1e-4, 3e-4, 1e-3, 2e-3, 3e-3, 5e-3, 1e-2 })
                        yield return (StudySpec.Format(wd), b with { TrainSubset = 2000, Epochs = 150, Until = "train-error<=0.02", Schedule = "constant", Optimizer = b.Optimizer with { WeightDecay = wd } });
                    break;
                }
                foreach (var wd in new[] { 0, 1e-4, 3e-4, 5e-4, 1e-3, 2e-3, 5e-3 })
                    yield return (StudySpec.Format(wd), b with { Optimizer = b.Optimizer with { WeightDecay = wd } });
                break;
            case "random-labels":
                // Zhang et al. 2017: labels redrawn uniformly from all K classes, every model trained until it memorises
                // its training set (≥ 99% train accuracy), on a subset small enough for that; the epochs are the cap.
                foreach (var f in quick ? new[] { 0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8 } : Enumerable.Range(0, 11).Select(i => i / 10.0).ToArray())
                    yield return (StudySpec.Format(f), b with
                    {
                        UniformLabels = f, TrainSubset = quick ? 1000 : 2000, Epochs = quick ? 200 : 400, Until = "train-error<=0.01",
                        Schedule = "constant", Optimizer = b.Optimizer with { WeightDecay = 0 },
                    });
                break;
            case "confusion-set":
                int clean = quick ? 2000 : 10_000;
                foreach (var k in quick ? new[] { 0, 500, 1000, 1500, 2000 } : [0, 1000, 2000, 3000, 4000, 5000])
                    yield return (k.ToString(CultureInfo.InvariantCulture), b with { TrainSubset = clean, Confusion = k });
                break;
            case "augmentation":
                // Standard: every model to ≤ 2% train error (augmented images are harder to fit, so the fixed
                // 20-epoch budget would compare underfitted models with fitted ones).
                foreach (var a in new[] { "none", "flip", "crop1+flip", "crop4+flip" })
                    yield return (a, ToCriterion(b with { Augment = a }, preset, "train-error<=0.02"));
                break;
            case "batch-size":
                // Standard: every model to ≤ 1% train error at the same constant learning rate, so that large
                // batches are not simply stopped earlier (fewer steps in 20 epochs) than small ones.
                foreach (var bs in quick ? new[] { 32, 128, 512, 2048 } : [32, 64, 128, 256, 512, 1024])
                    yield return (bs.ToString(CultureInfo.InvariantCulture), ToCriterion(b with { BatchSize = bs }, preset, "train-error<=0.01"));
                break;
            case "learning-rate":
                foreach (var lr in quick ? new[] { 0.003, 0.01, 0.03, 0.1 } : [0.002, 0.005, 0.01, 0.02, 0.05, 0.1])
                    yield return (StudySpec.Format(lr), ToCriterion(b with { LearningRate = lr }, preset, "train-error<=0.01"));
                break;
            case "optimizer":
                yield return ("sgd", b);
                yield return ("adam", b with { LearningRate = 1e-3, Optimizer = new(OptimizerKind.Adam, 0) });
                yield return ("adamw", b with { LearningRate = 1e-3, Optimizer = new(OptimizerKind.AdamW, 0, WeightDecay: 5e-2) });
                // Seed 002 §5: Adam with iterate averaging over the last quarter of training, those epochs at the constant
                // averaging rate of its eq. 15, α_avg = 2α₀ (a cosine decayed to ~0 there made the averaged iterates coincide).
                yield return ("adam+averaging", b with { LearningRate = 1e-3, Optimizer = new(OptimizerKind.Adam, 0), SwaStart = b.Epochs - b.Epochs / 4 + 1, SwaLearningRate = 2e-3 });
                break;
            case "regularizers":
                // Every method at its tuned strength, each model trained to the same training cross-entropy (Overfitting).
                yield return (MethodEffectsSection.Baseline, Overfitting(b, quick));
                foreach (var (method, setting) in TunedStrengths) yield return (method, Overfitting(b, quick) with { Regularizer = setting });
                break;
            case "regularizers-tuning":
                yield return (MethodEffectsSection.Baseline, Overfitting(b, quick));
                foreach (var setting in TuningGrid.Values.SelectMany(g => g))
                    yield return (setting.Replace(':', '-'), Overfitting(b, quick) with { Regularizer = setting });
                break;
            case "loss-to-zero":
                foreach (var e in quick ? new[] { 1, 2, 4, 8, 16 } : [2, 5, 10, 20, 40, 80])
                    yield return (e.ToString(CultureInfo.InvariantCulture), b with { Epochs = e, Schedule = "constant", Optimizer = b.Optimizer with { WeightDecay = 0 } });
                break;
            case "subsampling":
                yield return ("base", b);
                yield return ("base-wd", b with { Optimizer = b.Optimizer with { WeightDecay = 5e-4 } });
                break;
        }
    }

    /// <summary>
    /// The regime of the regularizers axes, where a regulariser has something to remove: 5 000 images (2 000 quick) drawn
    /// from the first 50 000, on which plain SGD overfits (test error ≈ 16%, train ≈ 1%); every model trained at a constant
    /// rate until its training cross-entropy is ≤ 0.05 (300 epochs at most); images 50 000–54 999 the validation split the
    /// strengths are chosen on, 55 000–59 999 held out with the test split.
    /// </summary>
    private static TrainConfig Overfitting(TrainConfig b, bool quick) => b with
    {
        TrainSubset = quick ? 2000 : 5000, TrainPool = 50_000, Validation = 5000, Epochs = quick ? 150 : 300, Until = "train-loss<=0.05", Schedule = "constant",
    };

    /// <summary>
    /// The standard preset's form of a grid point whose claim compares fitted models (studies.md protocol, Jiang et al.
    /// 2020): 5 000 images trained at a constant learning rate until <paramref name="criterion"/>, 400 epochs at most
    /// (measured: batch 1024 needs 229 epochs to reach 1%, batch 32 140). Quick and paper presets keep their budgets.
    /// </summary>
    private static TrainConfig ToCriterion(TrainConfig config, string preset, string criterion) =>
        preset == "standard" ? config with { TrainSubset = 5000, Epochs = 400, Until = criterion, Schedule = "constant" } : config;
}
