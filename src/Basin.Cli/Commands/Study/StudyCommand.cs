using System.Text.Json;
using Basin.Cli.Infrastructure;
using Basin.Studies;

namespace Basin.Cli.Commands.Study;

/// <summary>
/// <c>basin study AXIS</c>: trains a population of models along an axis, measures every metric on each,
/// ranks the metrics against the real generalization gap and writes the report — the main job.
/// </summary>
public sealed class StudyCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "study";

    /// <inheritdoc />
    public string Summary => "train a population along an axis, measure every metric, rank them against the real gap, report";

    /// <summary>The preset.</summary>
    private static readonly ChoiceOption Preset = new("preset", "quick (minutes), standard or paper", "quick", ["quick", "standard", "paper"]);

    /// <summary>The model every point trains.</summary>
    private static readonly TextOption Model = new("model", "model spec", new Basin.Training.TrainConfig().Model);

    /// <summary>Models per grid point; the default is the axis's.</summary>
    private static readonly IntOption Seeds = new("seeds", "models per grid point, seeds 0…K−1 (default: 1 in quick presets, 2 in standard and paper"
        + string.Concat(StudyAxes.All.Where(a => a.Listed).Select(SeedsText)) + ")", 0, 1, 100, DefaultWords: "");

    /// <summary>"; on AXIS K (quick K′), seeds F…": an axis's own seeds where they differ from the presets'.</summary>
    private static string SeedsText(IStudyAxis axis)
    {
        int quick = axis.DefaultSeeds("quick"), standard = axis.DefaultSeeds("standard");
        if (quick == 1 && standard == 2 && axis.FirstSeed == 0) return "";
        return $"; on {axis.Name} {standard}" + (quick != standard ? $", {quick} in its quick preset" : "") + (axis.FirstSeed > 0 ? $", seeds {axis.FirstSeed} and up" : "");
    }

    /// <inheritdoc />
    public Arguments Options() => new Arguments(Name, new (string, bool, string)[]
    {
        Preset.Declaration,
        ("data", false, "data set (default fashion-mnist)"),
        Model.Declaration,
        Seeds.Declaration,
        ("until", false, "train every model until train-loss<=X or train-error<=X (the preset's epochs become the cap; the report flags models that hit it)"),
        MetricIds.Declaration,
        SharedOptions.RelativeTolerance.Declaration,
        ("spec", false, "a study spec JSON file (a grid over several axes) instead of AXIS"),
        ("out", false, "study folder (default runs/study-AXIS-PRESET); a killed study resumes there"),
        ("report-only", true, "rebuild the report from the saved results, training nothing (from whatever has finished; the rest is listed)"),
        ("plan", true, "write the study and its task list (tasks.tsv, one task per model) into --out and run nothing"),
        ClusterTasks.Task.Declaration,
        ("json", true, "print the ranking as JSON"),
    }.Concat(SharedOptions.Slurm).Concat(DataOptions.Declarations).Concat(RuntimeOptions.Declarations), positional: "axis",
        positionalHelp: "what the population varies: " + string.Join("; ", StudyAxes.Names.Select(a => $"{a.Key} ({a.Value})")))
        .Complete("axis", StudyAxes.Names.Keys)
        .Complete("preset", Preset.Choices)
        .Complete("metrics", MetricIds.Completions);

    /// <inheritdoc />
    public int Run(Arguments args, CliContext context)
    {
        string? axis = args.String("axis");
        string preset = Preset.Read(args);
        if (args.String("task") is not null) return ClusterTasks.RunTask(args, context);
        StudySpec? spec = null;
        if (args.String("spec") is { } specFile)
        {
            if (!File.Exists(specFile)) throw new UsageException($"--spec: {specFile} does not exist");
            try { spec = StudySpec.FromJson(File.ReadAllText(specFile), strict: true); }
            catch (JsonException e) { throw new InvalidDataException($"{specFile}: not a study spec ({e.Message.Split(". ")[0]})"); }
        }
        else if (axis is null && !args.Has("report-only"))
        {
            throw new UsageException($"name a study axis ({string.Join(", ", StudyAxes.Names.Keys)}) or --spec FILE");
        }
        string folder = args.String("out") ?? Path.Combine("runs", $"study-{axis ?? spec?.Name ?? "study"}-{preset}");

        if (args.Has("report-only"))
        {
            var (saved, finished) = StudyRunner.Load(folder);
            if (StudyTasks.Unfinished(saved, folder) is { Count: > 0 } unfinished)
                context.Error.WriteLine($"{unfinished.Count} of {saved.Models.Count} models not finished: {string.Join(", ", unfinished)}");
            if (finished.Count < 2) throw new InvalidDataException($"{folder}: {finished.Count} of {saved.Models.Count} models finished; a report needs at least two");
            return Report(saved, finished, folder, args.Has("json"), context);
        }

        if (spec is null)
        {
            spec = UsageException.Check(() => StudyAxes.Build(axis!, preset, DataOptions.Spec(args, "fashion-mnist")!, Model.Read(args), Seeds.Read(args, StudyAxes.DefaultSeeds(axis!, preset))));
        }
        else
        {
            try { spec.Validate(); }
            catch (ArgumentException e) { throw new InvalidDataException($"{args.String("spec")}: {e.Message}", e); }
        }
        if (args.String("metrics") is { } metrics) spec = spec with { Metrics = metrics };
        if (args.Has(SharedOptions.RelativeTolerance.Name)) spec = spec with { Measure = spec.Measure with { RelativeTolerance = SharedOptions.RelativeTolerance.Read(args) } };
        if (args.String("until") is { } until)
            spec = spec with { Models = spec.Models.Select(m => m with { Config = m.Config with { Until = until } }).ToList() };
        UsageException.Check(spec.Validate);
        if (args.Has("plan") || args.Has("slurm")) return ClusterTasks.Plan(spec, folder, args, context);
        var runtime = RuntimeOptions.Initialize(args);
        context.Error.WriteLine($"study {spec.Name} ({spec.Preset}): {spec.Models.Count} models in {folder}");
        context.Progress.Restart();
        List<ModelResult> results;
        try
        {
            results = StudyRunner.Run(spec, folder, device: runtime.Device, progress: p =>
            {
                double fraction = (p.Model + p.Fraction) / p.Models;
                context.Progress.Draw(fraction, $"study {spec.Name}", $"model {p.Model + 1}/{p.Models}", p.Fraction, $"{p.Name}: {p}");
                if (p.Stage == StudyStage.Done)
                {
                    context.Progress.Clear();
                    context.Error.WriteLine($"  {p.Model + 1}/{p.Models} {p.Name} done");
                }
            });
        }
        catch (StudyModelException e) when (args.String("spec") is null)
        {
            // Models built from --model/--data are command-line values (exit 2); those of a --spec file are the file's (exit 1).
            throw new UsageException(e.Message, e);
        }
        context.Progress.Clear();
        return Report(spec, results, folder, args.Has("json"), context);
    }

    private static int Report(StudySpec spec, List<ModelResult> results, string folder, bool json, CliContext context)
    {
        var rankings = StudyReport.Write(spec, results, folder);
        if (json)
        {
            context.Out.WriteLine(JsonSerializer.Serialize(rankings.Select(r => new { metric = r.Metric, tau_error_gap = Finite(r.TauError.Value), lower = Finite(r.TauError.Lower), upper = Finite(r.TauError.Upper), tau_loss_gap = Finite(r.TauLoss.Value), noise_to_spread = Finite(r.NoiseToSpread), seconds = r.Seconds })));
            return 0;
        }
        context.Out.WriteLine($"{spec.Name} ({spec.Preset}), {results.Count} models: which metric orders them like their generalization gap?");
        context.Out.WriteLine();
        context.Out.Write(StudyReport.TrustTable(rankings));
        context.Out.WriteLine(StudyReport.Reading(results, rankings));
        context.Out.WriteLine();
        context.Out.WriteLine($"report: {Path.Combine(folder, "report.md")} (tables, settings), results.csv, results.json, plots/");
        return 0;
    }

    private static double? Finite(double x) => double.IsFinite(x) ? x : null;
}
