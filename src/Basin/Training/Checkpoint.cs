using System.Globalization;
using System.Text.Json;
using Basin.IO;
using Basin.Models;
using static TorchSharp.torch;

namespace Basin.Training;

/// <summary>
/// Checkpoints and weight files. A checkpoint is one safetensors file holding the model's state
/// (<c>model.*</c>, PyTorch names), the initial weights (<c>initial.*</c>), the optimiser state
/// (<c>optimizer.*</c>) and, as metadata, the full config, the log and the data's shape — written
/// atomically, so a crash leaves either the previous checkpoint or the new one.
/// </summary>
public static class Checkpoint
{
    /// <summary>The checkpoint's file name inside a run folder.</summary>
    public const string FileName = "checkpoint.safetensors";

    private const string Format = "basin-checkpoint-1";

    /// <summary>Writes <paramref name="run"/> to <paramref name="path"/> (a file, or a folder that gets <see cref="FileName"/>).</summary>
    public static void Save(TrainingRun run, string path, long[] sampleShape, int classes)
    {
        string file = ResolveFile(path);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, t) in run.Model.Module.state_dict()) tensors["model." + name] = t;
        foreach (var (name, t) in run.InitialWeights) tensors["initial." + name] = t;
        var (optimizerState, optimizerMeta) = run.Optimizer.GetState();
        foreach (var (name, t) in optimizerState) tensors["optimizer." + name] = t;
        foreach (var (name, t) in run.Method.State) tensors["regularizer." + name] = t;
        var metadata = new Dictionary<string, string>(optimizerMeta)
        {
            ["format"] = Format,
            ["basin.version"] = typeof(Checkpoint).Assembly.GetName().Version?.ToString() ?? "?",
            ["config"] = run.Config.ToJson(),
            ["log"] = JsonSerializer.Serialize(run.Log, TrainConfig.JsonOptions),
            ["sample_shape"] = string.Join(",", sampleShape),
            ["classes"] = classes.ToString(CultureInfo.InvariantCulture),
        };
        if (run.Average is { } average)
        {
            var (averageState, averageMeta) = average.GetState();
            foreach (var (name, t) in averageState) tensors["average." + name] = t;
            foreach (var (key, value) in averageMeta) metadata[key] = value;
        }
        if (ScriptPath(run.Config) is { } script) metadata["model_sha256"] = TorchScriptArchive.Sha256(script);
        if (run.AveragedLog is { } averaged) metadata["averaged_log"] = JsonSerializer.Serialize(averaged, TrainConfig.JsonOptions);
        Safetensors.Save(file, tensors, metadata);
    }

    /// <summary>Reads a checkpoint and rebuilds the run on <paramref name="device"/> (the CPU when null), ready to resume or to measure.</summary>
    /// <exception cref="InvalidDataException">The file is missing, not a Basin checkpoint, inconsistent, or holds non-finite weights.</exception>
    public static LoadedCheckpoint Load(string path, Device? device = null)
    {
        string file = ResolveFile(path);
        using var content = Safetensors.Load(file);
        var meta = content.Metadata;
        if (meta.TryGetValue("format", out var format) && format != Format && format.StartsWith("basin-checkpoint-", StringComparison.Ordinal))
            throw new InvalidDataException($"{file}: a Basin checkpoint of format {format}, which this Basin ({Format}) does not read: it was written by another version of Basin");
        if (format != Format)
            throw new InvalidDataException($"{file}: not a Basin checkpoint (a plain weights file? Checkpoint.ImportWeights reads one into a zoo model)");
        TrainConfig config;
        List<EpochLog> log;
        long[] shape;
        int classes;
        try
        {
            config = TrainConfig.FromJson(meta["config"]);
            try { config.Validate(); }
            catch (ArgumentException e) { throw new InvalidDataException($"{file}: its saved training config is invalid ({e.Message})", e); }
            log = JsonSerializer.Deserialize<List<EpochLog>>(meta["log"], TrainConfig.JsonOptions) ?? [];
            shape = meta["sample_shape"].Split(',').Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToArray();
            classes = int.Parse(meta["classes"], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or FormatException)
        {
            throw new InvalidDataException($"{file}: damaged checkpoint metadata ({e.Message})", e);
        }
        // A scripted model's code and initial weights live outside the checkpoint: the file must be the one trained.
        if (ScriptPath(config) is { } script && meta.TryGetValue("model_sha256", out var saved) && File.Exists(script) && TorchScriptArchive.Sha256(script) != saved)
            throw new InvalidDataException($"{file}: its model {script} is not the TorchScript file it was trained with (SHA-256 {saved[..12]}…, the file now gives another): restore that file");
        Model model;
        try
        {
            model = ModelZoo.Create(config.Model, shape, classes, config.Seed);
        }
        catch (FormatException e)
        {
            throw new InvalidDataException($"{file}: its model '{config.Model}' cannot be rebuilt ({e.Message})", e);
        }
        try
        {
            LoadState(model, Prefixed(content.Tensors, "model."), file);
            var initial = ReadInitial(model, Prefixed(content.Tensors, "initial."), file);
            var run = TrainingRun.Create(config, model, log, initial, device);
            run.Optimizer.LoadState(Prefixed(content.Tensors, "optimizer."), meta);
            // Every epoch takes optimiser steps: a count of 0 after some epochs would restart Adam's bias correction.
            if (log.Count > 0 && meta.ContainsKey("optimizer.steps") && run.Optimizer.Steps == 0)
                throw new InvalidDataException($"{file}: its optimiser step count is 0 after {log.Count} epoch(s): the checkpoint is inconsistent");
            run.Method.LoadState(Prefixed(content.Tensors, "regularizer."), model.Module.parameters().ToArray());
            LoadAverage(run, content.Tensors, meta, file);
            return new LoadedCheckpoint(run, shape, classes, file);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static void LoadAverage(TrainingRun run, Dictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string> meta, string file)
    {
        var saved = Prefixed(tensors, "average.");
        if (run.Average is not { } average)
        {
            if (saved.Count > 0) throw new InvalidDataException($"{file}: holds an iterate average, but its config asks for none");
            return;
        }
        try
        {
            average.LoadState(saved, meta, run.Model);
            if (meta.TryGetValue("averaged_log", out var json)) run.AveragedLog = JsonSerializer.Deserialize<EpochLog>(json, TrainConfig.JsonOptions);
            if (average.Applied != run.AveragedLog is not null) throw new InvalidDataException("the averaged weights and their log disagree");
        }
        catch (Exception e) when (e is InvalidDataException or JsonException)
        {
            throw new InvalidDataException($"{file}: {e.Message}", e);
        }
    }

    /// <summary>Exports the model's state (PyTorch names, e.g. <c>1.weight</c>) as a plain safetensors file.</summary>
    public static void ExportWeights(Model model, string file) =>
        Safetensors.Save(file, model.Module.state_dict(), new Dictionary<string, string> { ["basin.model"] = model.Spec, ["pytorch"] = model.PyTorchEquivalent });

    /// <summary>Imports weights saved by PyTorch (<c>safetensors.torch.save_file(model.state_dict(), …)</c>) or by <see cref="ExportWeights"/>.</summary>
    /// <exception cref="InvalidDataException">Names or shapes do not match the model, or a weight is not finite.</exception>
    public static void ImportWeights(Model model, string file)
    {
        using var content = Safetensors.Load(file);
        LoadState(model, content.Tensors, file);
    }

    private static void LoadState(Model model, IReadOnlyDictionary<string, Tensor> source, string file)
    {
        var target = model.Module.state_dict();
        var missing = target.Keys.Where(k => !source.ContainsKey(k)).ToList();
        var extra = source.Keys.Where(k => !target.ContainsKey(k)).ToList();
        if (missing.Count > 0 || extra.Count > 0)
        {
            throw new InvalidDataException($"{file}: weights do not match model {model.Spec}" +
                (missing.Count > 0 ? $"; missing {string.Join(", ", missing.Take(5))}{(missing.Count > 5 ? ", …" : "")}" : "") +
                (extra.Count > 0 ? $"; unexpected {string.Join(", ", extra.Take(5))}{(extra.Count > 5 ? ", …" : "")}" : ""));
        }
        foreach (var (name, t) in target)
            CheckTensor(file, name, source[name], t, $"model {model.Spec} needs", $"model {model.Spec} has floating-point weights");
        using var noGrad = no_grad();
        foreach (var (name, t) in target) t.copy_(source[name].to(t.dtype));
    }

    /// <summary>
    /// The initial weights, checked before anything uses them (a PAC-Bayes prior is centred there): one per parameter, of its
    /// shape, floating-point and finite; cast to the parameter's dtype.
    /// </summary>
    private static Dictionary<string, Tensor> ReadInitial(Model model, Dictionary<string, Tensor> saved, string file)
    {
        var parameters = model.Module.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        if (parameters.Keys.FirstOrDefault(k => !saved.ContainsKey(k)) is { } missing)
            throw new InvalidDataException($"{file}: its initial weights lack 'initial.{missing}'");
        if (saved.Keys.FirstOrDefault(k => !parameters.ContainsKey(k)) is { } extra)
            throw new InvalidDataException($"{file}: its initial weights hold 'initial.{extra}', which is no parameter of {model.Spec}");
        foreach (var (name, t) in saved) CheckTensor(file, "initial." + name, t, parameters[name], "the parameter has", "initial weights are floating-point");
        return saved.ToDictionary(p => p.Key, p => p.Value.to(parameters[p.Key].dtype).clone().DetachFromDisposeScope());
    }

    private static string? ScriptPath(TrainConfig config) =>
        config.Model.StartsWith(TorchScriptModels.Prefix, StringComparison.Ordinal) ? config.Model[TorchScriptModels.Prefix.Length..] : null;

    /// <summary>
    /// One saved tensor against the one it is read into: the same shape, floating-point where the target is, finite; each
    /// failure one line naming <paramref name="label"/> (<paramref name="shapeOwner"/> and <paramref name="floatingOwner"/> word it).
    /// </summary>
    private static void CheckTensor(string file, string label, Tensor saved, Tensor target, string shapeOwner, string floatingOwner)
    {
        if (!saved.shape.SequenceEqual(target.shape))
            throw new InvalidDataException($"{file}: '{label}' has shape [{string.Join(", ", saved.shape)}], {shapeOwner} [{string.Join(", ", target.shape)}]");
        if (target.is_floating_point() && !saved.is_floating_point())
            throw new InvalidDataException($"{file}: '{label}' holds {saved.dtype} values where {floatingOwner}");
        if (saved.is_floating_point() && !isfinite(saved).all().item<bool>())
            throw new InvalidDataException($"{file}: '{label}' holds NaN or infinite values");
    }

    private static Dictionary<string, Tensor> Prefixed(Dictionary<string, Tensor> tensors, string prefix) =>
        tensors.Where(p => p.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(p => p.Key[prefix.Length..], p => p.Value);

    private static string ResolveFile(string path) =>
        Directory.Exists(path) || (!File.Exists(path) && !path.EndsWith(".safetensors", StringComparison.Ordinal)) ? Path.Combine(path, FileName) : path;
}

/// <summary>A checkpoint read back: the run and the shape of the data it was trained on.</summary>
public sealed record LoadedCheckpoint(TrainingRun Run, long[] SampleShape, int Classes, string File) : IDisposable
{
    /// <inheritdoc />
    public void Dispose() => Run.Dispose();
}
