using System.Text.Json;
using Basin.Data;
using Basin.IO;
using Basin.Metrics;
using Basin.Training;
using static TorchSharp.torch;

namespace Basin.Studies;

/// <summary>A model of a study cannot be built for its data (found before any work, with nothing written).</summary>
public sealed class StudyModelException(string message, Exception inner) : ArgumentException(message, inner);

/// <summary>
/// Runs a study in a folder: trains each model (resuming a partial run from its checkpoint, skipping a
/// finished one), measures its metrics on its training samples, and saves one <c>result.json</c> per
/// model, atomically. A study killed at any point resumes with no model trained twice and none lost.
/// Each model goes through stages — train (resuming from its checkpoint), measure (the registry's metrics),
/// then the extras its axis asks for (<see cref="IStudyAxis.Extras"/>) — and the report is built from the
/// saved results alone (<see cref="StudyReport"/>).
/// </summary>
public static class StudyRunner
{
    /// <summary>The spec file in a study folder.</summary>
    public const string SpecFile = "study.json";

    /// <summary>Runs (or resumes) <paramref name="spec"/> in <paramref name="folder"/> on <paramref name="device"/> (the CPU when null) and returns every model's result.</summary>
    /// <exception cref="InvalidOperationException">The folder holds a different study.</exception>
    /// <exception cref="StudyModelException">A model cannot be built for its data (nothing is written).</exception>
    public static List<ModelResult> Run(StudySpec spec, string folder, Action<StudyProgress>? progress = null, CancellationToken cancel = default, Device? device = null)
    {
        var data = new Dictionary<string, DataSplit>();
        try
        {
            Prepare(spec, folder, data);
            var results = new List<ModelResult>();
            for (int i = 0; i < spec.Models.Count; i++)
            {
                cancel.ThrowIfCancellationRequested();
                results.Add(RunOne(spec, i, folder, data, device, progress, cancel).Result);
            }
            return results;
        }
        finally
        {
            foreach (var split in data.Values) split.Dispose();
        }
    }

    /// <summary>
    /// Validates <paramref name="spec"/> against <paramref name="folder"/> (a folder holding another study is refused),
    /// checks every model still to run, then writes the study down (<see cref="SpecFile"/>).
    /// </summary>
    internal static void Prepare(StudySpec spec, string folder, Dictionary<string, DataSplit> data)
    {
        spec.Validate();
        string specPath = Path.Combine(folder, SpecFile);
        string json = spec.ToJson();
        if (File.Exists(specPath) && File.ReadAllText(specPath) != json)
            throw new InvalidOperationException($"{folder} holds a different study ({SpecFile} differs): choose another --out, or --report-only to re-report it");
        // Every model still to run must have its data and be buildable before the study is written down, so
        // that a mistake leaves no study.json behind to refuse the corrected command.
        CheckModels(spec, folder, data);
        Directory.CreateDirectory(folder);
        AtomicFile.WriteAllText(specPath, json);
    }

    /// <summary>The saved result of model <paramref name="index"/>, or runs the model and saves it (atomically) first.</summary>
    internal static (ModelResult Result, bool AlreadyDone) RunOne(StudySpec spec, int index, string folder, Dictionary<string, DataSplit> data, Device? device,
        Action<StudyProgress>? progress, CancellationToken cancel)
    {
        var model = spec.Models[index];
        string modelFolder = Path.Combine(folder, "models", model.Name);
        string resultPath = Path.Combine(modelFolder, "result.json");
        if (File.Exists(resultPath))
        {
            progress?.Invoke(new StudyProgress(index, spec.Models.Count, model.Name, StudyStage.Done, "", 1));
            return (SavedResult.Load(resultPath, model), true);
        }
        if (!data.TryGetValue(model.Config.Data, out var split)) data[model.Config.Data] = split = DataCatalog.Load(model.Config.Data);
        var result = RunModel(spec, model, split, modelFolder, device, (stage, detail, fraction) => progress?.Invoke(new StudyProgress(index, spec.Models.Count, model.Name, stage, detail, fraction)), cancel);
        AtomicFile.WriteAllText(resultPath, JsonSerializer.Serialize(result, StudySpec.Options));
        return (result, false);
    }

    /// <summary>
    /// Checks, before any work, that every model of the study still to run has its data and can be built for it
    /// (and its subset fits), loading each data set once into <paramref name="data"/> for the run to reuse.
    /// </summary>
    /// <exception cref="StudyModelException">A model cannot be built for its data, or its subset is larger than the training set.</exception>
    private static void CheckModels(StudySpec spec, string folder, Dictionary<string, DataSplit> data)
    {
        var metrics = MetricRegistry.Select(spec.Metrics);
        foreach (var model in spec.Models.Where(m => !File.Exists(Path.Combine(folder, "models", m.Name, "result.json"))))
        {
            if (!data.TryGetValue(model.Config.Data, out var split)) data[model.Config.Data] = split = DataCatalog.Load(model.Config.Data);
            try
            {
                using var built = Models.ModelZoo.Create(model.Config.Model, split.Train.SampleShape, split.Train.NumClasses, model.Config.Seed);
                if (model.Config.TrainSubset > split.Train.Count)
                    throw new ArgumentException($"--subset {model.Config.TrainSubset} is more than the {split.Train.Count} training samples");
                if (model.Config.TrainPool + model.Config.Validation > split.Train.Count)
                    throw new ArgumentException($"a training pool of {model.Config.TrainPool}{(model.Config.Validation > 0 ? $" and a validation split of {model.Config.Validation}" : "")} is more than the {split.Train.Count} training samples");
                int measured = Math.Min(spec.MeasureSamples, model.Config.TrainSubset > 0 ? model.Config.TrainSubset + model.Config.Confusion : split.Train.Count);
                if (new MeasurementPlan(metrics, spec.Measure, measured, 1).Refusal is { } refusal) throw new ArgumentException(refusal);
            }
            catch (Exception e) when (e is FormatException or ArgumentException)
            {
                throw new StudyModelException($"model '{model.Name}': {e.Message}", e);
            }
        }
    }

    /// <summary>Reads every finished model's result of the study in <paramref name="folder"/>, in spec order.</summary>
    /// <exception cref="InvalidDataException">No study there, or a result is damaged.</exception>
    public static (StudySpec Spec, List<ModelResult> Results) Load(string folder)
    {
        var spec = LoadSpec(folder);
        var results = spec.Models.Select(m => (Model: m, Path: Path.Combine(folder, "models", m.Name, "result.json"))).Where(r => File.Exists(r.Path))
            .Select(r => SavedResult.Load(r.Path, r.Model)).ToList();
        return (spec, results);
    }

    /// <summary>The study saved in <paramref name="folder"/>, without its results.</summary>
    /// <exception cref="InvalidDataException">No study there, or its spec is damaged.</exception>
    internal static StudySpec LoadSpec(string folder)
    {
        string specPath = Path.Combine(folder, SpecFile);
        if (!File.Exists(specPath)) throw new InvalidDataException($"{folder}: no {SpecFile}; not a study folder");
        try { return StudySpec.FromJson(File.ReadAllText(specPath)); }
        catch (JsonException e) { throw new InvalidDataException($"{specPath}: damaged ({e.Message})", e); }
    }

    private static ModelResult RunModel(StudySpec spec, StudyModel model, DataSplit split, string folder, Device? device, Action<StudyStage, string, double> progress, CancellationToken cancel)
    {
        var config = model.Config;
        using var train = TrainingRun.PrepareTrainingSet(config, split.Train);
        using var run = Train(model, train, split.Test, folder, device, progress, cancel);
        var last = run.FinalLog;

        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var measured = train.Sample(Math.Min(spec.MeasureSamples, train.Count), config.Seed);
        using var context = new MetricContext(run.Model, measured, spec.Measure with { Seed = config.Seed }, run.Record());
        var metrics = MetricRegistry.Select(spec.Metrics);
        var results = MetricRegistry.Measure(context, metrics, (i, m) => progress(StudyStage.Measuring, m.Id, 0.5 + 0.5 * i / metrics.Count)).ToList();
        var result = new ModelResult(model.Name, model.Coordinates, config, run.Log.ToList(), last.TrainLoss, last.TrainError, last.TestLoss, last.TestError,
            results, [], [], null, run.Log.Sum(l => l.Seconds), 0, split.Test.Count, ModelResult.CodeVersion, DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        var subject = new MeasuredModel(model, context, measured, split);
        foreach (var extra in StudyAxes.Extras(spec.Name))
        {
            progress(StudyStage.Extra, extra.Name, 0.99);
            result = extra.Apply(result, subject);
        }
        progress(StudyStage.Done, "", 1);
        return result with { MeasureSeconds = clock.Elapsed.TotalSeconds };
    }

    /// <summary>Trains <paramref name="model"/> to its last epoch, resuming from its checkpoint in <paramref name="folder"/>, checkpointing after each epoch. The caller owns the run.</summary>
    private static TrainingRun Train(StudyModel model, Dataset train, Dataset test, string folder, Device? device, Action<StudyStage, string, double> progress, CancellationToken cancel)
    {
        string checkpoint = Path.Combine(folder, Checkpoint.FileName);
        var run = File.Exists(checkpoint) ? Checkpoint.Load(checkpoint, device).Run : TrainingRun.Start(model.Config, train, device);
        try
        {
            Directory.CreateDirectory(folder);
            run.Train(train, test,
                progress: new CallbackProgress<TrainProgress>(p => progress(StudyStage.Training, $"epoch {p.Epoch}/{p.Epochs}", 0.5 * ((p.Epoch - 1) + (double)p.Step / p.Steps) / p.Epochs)),
                afterEpoch: r => Checkpoint.Save(r, checkpoint, train.SampleShape, train.NumClasses), cancel: cancel);
            return run;
        }
        catch
        {
            run.Dispose();
            throw;
        }
    }
}
