using System.Text.Json;
using Basin.Benchmark;
using Basin.Cli.Commands.Study;
using Basin.Cli.Infrastructure;
using Basin.Studies;

namespace Basin.Cli.Commands.Benchmark;

/// <summary>
/// <c>basin benchmark</c>: trains a population that varies several hyper-parameters jointly on two data sets, every model
/// to one criterion, measures every metric, baseline and oracle on each, and prints the verdict — which metric deserves
/// trust (Jiang et al. 2020; Dziugaite et al. 2020). The main job.
/// </summary>
public sealed class BenchmarkCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "benchmark";

    /// <inheritdoc />
    public string Summary => "train a joint hyper-parameter grid on two data sets, measure everything, and say which metric deserves trust";

    /// <inheritdoc />
    public Arguments Options() => new Arguments(Name, new (string, bool, string)[]
    {
        Preset.Declaration,
        SharedOptions.RelativeTolerance.Declaration,
        ("spec", false, "a benchmark design JSON file (data, axes with levels, fixed, seeds, criterion, epochs, pools, metrics, measure_samples, measure) instead of --preset"),
        ("out", false, "benchmark folder (default runs/benchmark-PRESET); a killed benchmark resumes there"),
        ("report-only", true, "rebuild the verdict from the saved results, training nothing"),
        ("verdict", false, "also write the verdict markdown to this file (e.g. docs/results/verdict.md)"),
        ("plan", true, "write the benchmark and its task list into --out and run nothing (run tasks with basin study --out DIR --task I)"),
        ("json", true, "print the verdict as JSON (verdict.json) instead of the table"),
    }.Concat(SharedOptions.Slurm).Concat(RuntimeOptions.Declarations)).Complete("preset", Preset.Choices);

    private static readonly ChoiceOption Preset = new("preset", "quick (main job, minutes), standard (256 models, about an hour) or paper (Slurm or GPU)", "quick", [.. BenchmarkDesign.Presets.Keys]);

    /// <inheritdoc />
    public int Run(Arguments args, CliContext context)
    {
        string preset = Preset.Read(args);
        BenchmarkDesign? design = null;
        if (args.String("spec") is { } specFile)
        {
            if (args.String("preset") is not null) throw new UsageException("give --preset or --spec, not both");
            if (!File.Exists(specFile)) throw new UsageException($"--spec: {specFile} does not exist");
            try { design = BenchmarkDesign.FromJson(File.ReadAllText(specFile)); }
            catch (JsonException e) { throw new InvalidDataException($"{specFile}: not a benchmark design ({e.Message.Split(". ")[0]})"); }
            try { design.Validate(); }
            catch (ArgumentException e) { throw new InvalidDataException($"{specFile}: {e.Message}", e); }
        }
        string folder = args.String("out") ?? Path.Combine("runs", $"benchmark-{(design is null ? preset : "spec")}");
        string command = $"basin benchmark --report-only --out {folder}";
        // Every place the verdict will be written, checked before any work, so that a bad path leaves nothing half-written.
        if (args.String("verdict") is { } verdictFile)
        {
            if (Directory.Exists(verdictFile)) throw new UsageException($"--verdict {verdictFile} is a folder; give a file such as docs/results/verdict.md");
            OutputFolder.CheckWritable(Path.GetDirectoryName(Path.GetFullPath(verdictFile))!, "--verdict's folder");
        }
        if (args.Has("report-only"))
        {
            var (saved, finished) = StudyRunner.Load(folder);
            if (saved.Name != BenchmarkDesign.StudyName) throw new InvalidDataException($"{folder}: holds the study '{saved.Name}', not a benchmark (basin study --report-only reports it)");
            OutputFolder.CheckWritable(folder);
            if (StudyTasks.Unfinished(saved, folder) is { Count: > 0 } unfinished)
                context.Error.WriteLine($"{unfinished.Count} of {saved.Models.Count} models not finished: {string.Join(", ", unfinished.Take(10))}{(unfinished.Count > 10 ? ", …" : "")}");
            return Report(saved, finished, folder, command, args, context);
        }
        var spec = UsageException.Check(() => (design ?? BenchmarkDesign.FromPreset(preset)).Build());
        if (args.Has(SharedOptions.RelativeTolerance.Name)) spec = spec with { Measure = spec.Measure with { RelativeTolerance = SharedOptions.RelativeTolerance.Read(args) } };
        OutputFolder.CheckWritable(folder);
        if (args.Has("plan") || args.Has("slurm")) return ClusterTasks.Plan(spec, folder, args, context);
        var runtime = RuntimeOptions.Initialize(args);
        // The cost, before it is spent: measured on 2 cores (2026-12-03) at 10–25 s per model (MLPs of 128–512 units on ≤ 1 000
        // images; label noise and small rates take the most epochs) and 1.1 GB peak resident memory per process (Fashion-MNIST
        // held in memory); a resumed benchmark extrapolates from its own finished models.
        int todo = StudyTasks.Unfinished(spec, folder).Count;
        var first = spec.Models[0].Config;
        var earlier = File.Exists(Path.Combine(folder, StudyRunner.SpecFile)) ? StudyRunner.Load(folder).Results : [];
        double perModel = earlier.Count > 0 ? earlier.Average(r => r.TrainSeconds + r.MeasureSeconds) : 18;
        context.Error.WriteLine($"benchmark ({spec.Preset}): {spec.Models.Count} models in {folder}, {todo} to train, each to {first.Until} within {first.Epochs} epochs and measured on ≤ {spec.MeasureSamples} samples; " +
            $"about {TimeSpan.FromSeconds(todo * perModel):h\\:mm\\:ss} on 2 cores ({perModel:F0} s per model{(earlier.Count > 0 ? $", the mean of the {earlier.Count} finished" : ", measured for the presets")}), peak memory about 1.1 GB");
        context.Progress.Restart();
        var results = StudyRunner.Run(spec, folder, device: runtime.Device, progress: p =>
        {
            context.Progress.Draw((p.Model + p.Fraction) / p.Models, "benchmark", $"model {p.Model + 1}/{p.Models}", p.Fraction, $"{p.Name}: {p}");
            if (p.Stage == StudyStage.Done)
            {
                context.Progress.Clear();
                context.Error.WriteLine($"  {p.Model + 1}/{p.Models} {p.Name} done");
            }
        });
        context.Progress.Clear();
        return Report(spec, results, folder, command, args, context);
    }

    private static int Report(StudySpec spec, List<ModelResult> results, string folder, string command, Arguments args, CliContext context)
    {
        BenchmarkVerdict verdict;
        try { verdict = BenchmarkScores.Score(results); }
        catch (ArgumentException e) { throw new InvalidDataException($"{folder}: {e.Message}", e); }
        VerdictReport.Write(verdict, spec, results, folder, command);
        if (args.String("verdict") is { } path)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            IO.AtomicFile.WriteAllText(path, VerdictReport.Markdown(verdict, spec, results, command));
        }
        if (args.Has("json"))
        {
            context.Out.WriteLine(File.ReadAllText(Path.Combine(folder, "verdict.json")));
            return 0;
        }
        int included = verdict.Models - verdict.Excluded.Count;
        context.Out.WriteLine($"trust benchmark ({spec.Preset}): {included} of {verdict.Models} models reached the criterion; data {string.Join(", ", verdict.DataSets)}; axes {string.Join(", ", verdict.Axes)}");
        context.Out.WriteLine($"target: {BenchmarkDesign.Target} ({verdict.GapRange.Low:F1} … {verdict.GapRange.High:F1} pp, noise ±{verdict.GapNoise:F2} pp); τ and Ψ within data sets; sign-error over one-axis pairs beyond noise");
        context.Out.WriteLine();
        context.Out.Write(VerdictReport.Table(verdict));
        context.Out.WriteLine();
        context.Out.WriteLine(VerdictReport.Reading(verdict));
        if (verdict.Excluded.Count > 0) context.Out.WriteLine($"excluded (missed the criterion): {string.Join(", ", verdict.Excluded.Select(e => e.Model))}");
        context.Out.WriteLine($"report: {Path.Combine(folder, "verdict.md")}, verdict.json, results.csv");
        // Throughput from the saved results: what a model costs per stage (extras: the unseen-image evaluation), and so per hour.
        double train = results.Average(r => r.TrainSeconds), metrics = results.Average(r => r.Metrics.Sum(m => m.Seconds));
        double extras = results.Average(r => Math.Max(0, r.MeasureSeconds - r.Metrics.Sum(m => m.Seconds)));
        context.Out.WriteLine($"time per model (mean of {results.Count}): train {train:F1} s, measure {metrics:F1} s, extras {extras:F1} s → {3600 / Math.Max(train + metrics + extras, 1e-9):F0} models per hour per process");
        return 0;
    }
}
