using System.Text.Json;
using Basin.Data;
using Basin.Estimators;
using Basin.IO;
using Basin.Metrics;
using Basin.Operators;
using Basin.Training;

namespace Basin.Studies;

/// <summary>Batch vs full-sample curvature for one batch size (seed 000 §4.2).</summary>
/// <param name="BatchSize">The batch size of the estimate.</param>
/// <param name="TraceMean">Mean over batches of Tr H_B.</param>
/// <param name="TraceError">Its standard error over batches.</param>
/// <param name="SquareMean">Mean over batches of Tr H_B².</param>
/// <param name="SquareError">Its standard error over batches.</param>
public sealed record SubsamplingRow(int BatchSize, double TraceMean, double TraceError, double SquareMean, double SquareError);

/// <summary>Everything measured on one model of a study.</summary>
public sealed record ModelResult(
    string Name, Dictionary<string, string> Coordinates, TrainConfig Config, List<EpochLog> Log,
    double TrainLoss, double TrainError, double TestLoss, double TestError,
    List<MetricResult> Metrics, List<double[]> Density, List<SubsamplingRow> Subsampling, Landscape? Landscape, double TrainSeconds, double MeasureSeconds)
{
    /// <summary>Test minus train loss.</summary>
    public double LossGap => TestLoss - TrainLoss;

    /// <summary>Test minus train error, in percentage points.</summary>
    public double ErrorGap => 100 * (TestError - TrainError);
}

/// <summary>What a study is doing, for progress bars.</summary>
/// <param name="Model">Index of the model under way.</param>
/// <param name="Models">Number of models.</param>
/// <param name="Name">The model's name.</param>
/// <param name="Stage">"training", "measuring METRIC" or "done".</param>
/// <param name="Fraction">Progress within the model, 0–1.</param>
public sealed record StudyProgress(int Model, int Models, string Name, string Stage, double Fraction);

/// <summary>
/// Runs a study in a folder: trains each model (resuming a partial run from its checkpoint, skipping a
/// finished one), measures its metrics on its training samples, and saves one <c>result.json</c> per
/// model, atomically. A study killed at any point resumes with no model trained twice and none lost.
/// </summary>
public static class StudyRunner
{
    /// <summary>The spec file in a study folder.</summary>
    public const string SpecFile = "study.json";

    /// <summary>Runs (or resumes) <paramref name="spec"/> in <paramref name="folder"/> and returns every model's result.</summary>
    /// <exception cref="InvalidOperationException">The folder holds a different study.</exception>
    public static List<ModelResult> Run(StudySpec spec, string folder, Action<StudyProgress>? progress = null, CancellationToken cancel = default)
    {
        spec.Validate();
        Directory.CreateDirectory(folder);
        string specPath = Path.Combine(folder, SpecFile);
        string json = spec.ToJson();
        if (File.Exists(specPath) && File.ReadAllText(specPath) != json)
            throw new InvalidOperationException($"{folder} holds a different study ({SpecFile} differs): choose another --out, or --report-only to re-report it");
        AtomicFile.WriteAllText(specPath, json);

        var data = new Dictionary<string, DataSplit>();
        try
        {
            var results = new List<ModelResult>();
            for (int i = 0; i < spec.Models.Count; i++)
            {
                cancel.ThrowIfCancellationRequested();
                var model = spec.Models[i];
                string modelFolder = Path.Combine(folder, "models", model.Name);
                string resultPath = Path.Combine(modelFolder, "result.json");
                if (File.Exists(resultPath))
                {
                    results.Add(LoadResult(resultPath));
                    progress?.Invoke(new StudyProgress(i, spec.Models.Count, model.Name, "done", 1));
                    continue;
                }
                if (!data.TryGetValue(model.Config.Data, out var split)) data[model.Config.Data] = split = DataCatalog.Load(model.Config.Data);
                var result = RunModel(spec, model, split, modelFolder, p => progress?.Invoke(p with { Model = i, Models = spec.Models.Count }), cancel);
                AtomicFile.WriteAllText(resultPath, JsonSerializer.Serialize(result, StudySpec.Options));
                results.Add(result);
            }
            return results;
        }
        finally
        {
            foreach (var split in data.Values) split.Dispose();
        }
    }

    /// <summary>Reads every finished model's result of the study in <paramref name="folder"/>, in spec order.</summary>
    /// <exception cref="InvalidDataException">No study there, or a result is damaged.</exception>
    public static (StudySpec Spec, List<ModelResult> Results) Load(string folder)
    {
        string specPath = Path.Combine(folder, SpecFile);
        if (!File.Exists(specPath)) throw new InvalidDataException($"{folder}: no {SpecFile}; not a study folder");
        StudySpec spec;
        try { spec = StudySpec.FromJson(File.ReadAllText(specPath)); }
        catch (JsonException e) { throw new InvalidDataException($"{specPath}: damaged ({e.Message})", e); }
        var results = spec.Models.Select(m => Path.Combine(folder, "models", m.Name, "result.json")).Where(File.Exists).Select(LoadResult).ToList();
        return (spec, results);
    }

    private static ModelResult LoadResult(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<ModelResult>(File.ReadAllText(path), StudySpec.Options) ?? throw new JsonException("empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: damaged result ({e.Message}); delete it to measure the model again", e);
        }
    }

    private static ModelResult RunModel(StudySpec spec, StudyModel model, DataSplit split, string folder, Action<StudyProgress> progress, CancellationToken cancel)
    {
        var config = model.Config;
        using var train = TrainingRun.PrepareTrainingSet(config, split.Train);
        string checkpoint = Path.Combine(folder, Checkpoint.FileName);
        using var loaded = File.Exists(checkpoint) ? Checkpoint.Load(checkpoint) : null;
        using var started = loaded is null ? TrainingRun.Start(config, train) : null;
        var run = started ?? loaded!.Run;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Directory.CreateDirectory(folder);
        run.Train(train, split.Test,
            progress: new CallbackProgress<TrainProgress>(p => progress(new StudyProgress(0, 0, model.Name, $"training epoch {p.Epoch}/{p.Epochs}", 0.5 * ((p.Epoch - 1) + (double)p.Step / p.Steps) / p.Epochs))),
            afterEpoch: r => Checkpoint.Save(r, checkpoint, train.SampleShape, train.NumClasses), cancel: cancel);
        double trainSeconds = run.Log.Sum(l => l.Seconds);
        var last = run.Log[^1];

        clock.Restart();
        using var measured = train.Sample(Math.Min(spec.MeasureSamples, train.Count), config.Seed);
        using var context = new MetricContext(run.Model, measured, spec.Measure with { Seed = config.Seed });
        var metrics = MetricRegistry.Select(spec.Metrics);
        var results = MetricRegistry.Measure(context, metrics, (i, m) => progress(new StudyProgress(0, 0, model.Name, $"measuring {m.Id}", 0.5 + 0.5 * i / metrics.Count))).ToList();
        var density = new List<double[]>();
        if (metrics.Any(m => m.Id == "hessian.spectral_density"))
        {
            var slq = context.Get<StochasticLanczosQuadrature>("hessian.slq", () => throw new InvalidOperationException("no SLQ run"));
            density = slq.Nodes().Select(n => new[] { n.Node, n.Weight }).ToList();
        }
        var subsampling = spec.Name == "subsampling" ? Subsample(context, config.Seed) : [];
        progress(new StudyProgress(0, 0, model.Name, "loss landscape", 0.99));
        using var landscapeData = measured.Sample(Math.Min(512, measured.Count), config.Seed);
        var landscape = LossLandscape.Around(run.Model, landscapeData, points: 11, radius: 1, seed: config.Seed);
        progress(new StudyProgress(0, 0, model.Name, "done", 1));
        return new ModelResult(model.Name, model.Coordinates, config, run.Log.ToList(), last.TrainLoss, last.TrainError, last.TestLoss, last.TestError,
            results, density, subsampling, landscape, trainSeconds, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Batch Tr H and Tr H² averaged over disjoint batches of several sizes, and the full-sample values (batch size N).</summary>
    private static List<SubsamplingRow> Subsample(MetricContext context, int seed)
    {
        var rows = new List<SubsamplingRow>();
        int n = context.N;
        foreach (int b in new[] { 32, 128, 512, n }.Where(b => b <= n).Distinct())
        {
            var traces = new List<double>();
            var squares = new List<double>();
            int batches = Math.Min(n / b, 16);
            for (int k = 0; k < batches; k++)
            {
                using var scope = TorchSharp.torch.NewDisposeScope();
                var x = context.Samples.Features.narrow(0, k * b, b).to(context.Weights.dtype);
                var y = context.Samples.Labels.narrow(0, k * b, b);
                using var op = new HessianOperator(context.Model, CurvatureData.FromBatch(x, y));
                traces.Add(Hutchinson.Trace(op, new StoppingRule(context.Settings.TraceProbes), seed + k).Value);
                squares.Add(Hutchinson.TraceOfSquare(op, new StoppingRule(context.Settings.TraceProbes), seed + k).Value);
            }
            double Se(List<double> v) => v.Count > 1 ? Math.Sqrt(v.Sum(x => (x - v.Average()) * (x - v.Average())) / (v.Count - 1) / v.Count) : double.NaN;
            rows.Add(new SubsamplingRow(b, traces.Average(), Se(traces), squares.Average(), Se(squares)));
        }
        return rows;
    }
}
