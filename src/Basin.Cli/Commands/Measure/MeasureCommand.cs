using Basin.Models;
using System.Globalization;
using System.Text.Json;
using Basin.Cli.Infrastructure;
using Basin.Data;
using Basin.Metrics;
using Basin.Training;

namespace Basin.Cli.Commands.Measure;

/// <summary><c>basin measure</c>: the generalization metrics of a trained model, from its training data and weights.</summary>
public sealed class MeasureCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "measure";

    /// <inheritdoc />
    public string Summary => "generalization metrics of a trained model (flatness, Fisher, PAC-Bayes), with errors and cost";

    /// <inheritdoc />
    public Arguments Options() => new Arguments(Name, new (string, bool, string)[]
    {
        ("checkpoint", false, "run folder or checkpoint.safetensors written by basin train (or give --model and --data)"),
        ("data", false, "measure on this data set's training split instead of the checkpoint's"),
        Samples.Declaration,
        MetricIds.Declaration,
        ("list", true, "list the metrics and exit"),
        Diagonal.Declaration,
        PacGenDiagonal.Declaration,
        LaplaceProbes.Declaration,
        FisherNorms.Declaration,
        FisherSubsets.Declaration,
        Budget.Declaration,
        ("json", true, "print the results as JSON"),
        ("out", false, "keep the measurement in this folder as it goes: measure.json, indices.txt (the measured rows), metrics/ID.json as each finishes, results.json and results.csv at the end"),
        ("resume", true, "with --out: continue a killed measurement there, reading back the metrics it finished"),
        SharedOptions.Indices,
    }.Concat(SharedOptions.Curvature).Concat(CheckpointData.ModelDeclarations).Concat(DataOptions.Declarations).Concat(RuntimeOptions.Declarations))
        .Complete("metrics", MetricIds.Completions)
        .Complete("diagonal", Diagonal.Choices)
        .Complete("pacgen-diagonal", PacGenDiagonal.Choices)
        .Complete("fisher-norms", FisherNorms.Choices);

    /// <summary>The library's defaults, the one place they are written.</summary>
    private static readonly MeasureSettings Defaults = new();

    private static readonly IntOption Samples = new("samples", "training samples to measure on, drawn with the seed (default {default}; 0 = all)", 10_000, 0);

    private static readonly ChoiceOption Diagonal = new("diagonal", "Hessian diagonal of hessian.diagonal", Defaults.Diagonal.Name(),
        [.. Basin.IO.EnumNames.All<DiagonalEstimator>().Where(n => n != DiagonalEstimator.Ggn.Name())]);

    private static readonly ChoiceOption PacGenDiagonal = new("pacgen-diagonal", "non-negative curvature diagonal of pacgen and seed 003's bounds: ggn (exact GGN diagonal), sqgrad, or a Hessian one as for --diagonal",
        Defaults.PacGenDiagonal.Name(), Basin.IO.EnumNames.All<DiagonalEstimator>());

    private static readonly IntOption LaplaceProbes = new("laplace-probes", "Rademacher probes of pacbayes.laplace.approx (default {default}; seed 000 uses 1)", Defaults.LaplaceProbes, 2, 100_000);

    private static readonly ChoiceOption FisherNorms = new("fisher-norms", "unbiased (U-statistic, Lanczos on the Fisher) or subsets (seed 001's biased subset forms)",
        Basin.IO.EnumNames.Name(Defaults.FisherNorms), Basin.IO.EnumNames.All<FisherNormForm>());

    private static readonly IntOption FisherSubsets = new("fisher-subsets", $"subsets T of the Fisher metrics (default {{default}}; subset size N′ = {Defaults.FisherSubsetSize})", Defaults.FisherSubsets, 1, 100_000);

    private static readonly NumberOption Budget = new("budget", "seconds the run may take, loading and timing included: after timing one pass of each kind (products, gradients, forward passes, per-sample gradients), scale probes, steps, subsets and draws down (to floors), then the samples, to fit; it says when even the floors do not fit",
        0, 1e-3, 1e9, "off");

    /// <inheritdoc />
    public int Run(Arguments args, CliContext context)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        if (args.Has("list"))
        {
            foreach (var m in MetricRegistry.All) context.Out.WriteLine($"{m.Id,-28} {m.Cost,-9} {Papers.Cite(m.Description)}  [{Papers.Cite(m.Source)}]" + (m.OptIn ? "  (opt-in: name it; all leaves it out)" : ""));
            return 0;
        }
        var metrics = UsageException.Check(() => MetricRegistry.Select(args.String("metrics", "all")));
        string? modelSpec = CheckpointData.ModelArgument(args);
        string? file = modelSpec is null ? CheckpointArgument.Resolve(args) : null;
        int samples = Samples.Read(args);
        double? budget = Budget.ReadOrNull(args);
        var settings = new MeasureSettings
        {
            Seed = SharedOptions.Seed.Read(args),
            TraceProbes = SharedOptions.Probes.Read(args),
            Diagonal = DiagonalEstimators.Parse(Diagonal.Read(args)),
            PacGenDiagonal = DiagonalEstimators.Parse(PacGenDiagonal.Read(args)),
            LanczosSteps = SharedOptions.LanczosSteps.Read(args),
            SlqSteps = SharedOptions.SlqSteps.Read(args),
            SlqStarts = SharedOptions.SlqStarts.Read(args),
            SlqDeflate = SharedOptions.Deflate.Read(args),
            LaplaceProbes = LaplaceProbes.Read(args),
            FisherNorms = Basin.IO.EnumNames.Parse<FisherNormForm>(FisherNorms.Read(args), "fisher-norms"),
            FisherSubsets = FisherSubsets.Read(args),
            RelativeTolerance = SharedOptions.RelativeTolerance.Read(args),
        };
        UsageException.Check(settings.Validate);
        if (args.String("out") is { } target) OutputFolder.CheckWritable(target);
        var runtime = RuntimeOptions.Initialize(args);

        using var loaded = file is null ? null : Checkpoint.Load(file, runtime.Device);
        using var data = loaded is null ? CheckpointData.ForModel(modelSpec!, args.String("weights"), args, runtime.Device) : CheckpointData.For(loaded.Run, args);
        var (split, train) = (data.Split, data.Train);
        var model = loaded?.Run.Model ?? data.Model!;
        if (args.Has("resume") && !args.Has("out")) throw new UsageException("--resume needs --out, the folder of the measurement to continue");
        var indices = MeasuredRows.Choose(args, train, samples, settings.Seed);
        // What the measurement is of, as asked for: a resume must ask for the same (the budget's scaling is not redone).
        string request = JsonSerializer.Serialize(new { data = train.Name, indices = MeasuredRows.Fingerprint(indices), budget, settings, metrics = metrics.Select(m => m.Id) });
        var folder = args.Has("resume") ? UsageException.Check(() => MeasurementFolder.Resume(args.String("out")!, model.Spec, request)) : null;
        // A folder that cannot take a new measurement is refused before the preview times anything (a ResNet-18's: 80 s).
        if (folder is null && args.String("out") is { } newFolder) UsageException.Check(() => MeasurementFolder.CheckNew(newFolder));
        if (folder is not null) (settings, indices) = (folder.Header.Settings, folder.Header.Indices);
        MetricContext Context(Dataset rows, MeasureSettings s)
        {
            var made = new MetricContext(model, rows, s, loaded?.Run.Record());
            made.Expect(metrics);
            return made;
        }
        var measured = train.Rows(indices);
        var metricContext = Context(measured, settings);
        try
        {
            var plan = MeasurementPlan.For(metrics, settings, measured.Count, model);
            if (plan.Refusal is { } refusal) throw new UsageException(refusal);
            context.Error.WriteLine($"measuring {metrics.Count} metrics of {model.Spec} (P = {metricContext.P:N0}) on {measured.Count} samples of {train.Name}");
            MemoryPreview.Check(null, plan, metricContext);
            var measuredPlan = plan;
            // Cost preview: count every pass, time one of each kind, and say what the run will take; scale to --budget.
            var cost = plan.Cost;
            if (cost.CurvatureProducts + cost.Gradients + cost.ForwardPasses + cost.PerSampleGradients > 0)
            {
                // Under a budget, a plan over more samples than its floor is timed on the floor's samples, which a budget keeps when it
                // scales to them (a ResNet-18's: then it is not timed twice), and its full passes counted in proportion to the samples.
                var floorRows = budget is not null && folder is null && plan.FloorSamples < measured.Count ? train.Rows(train.SampleIndices(plan.FloorSamples, settings.Seed)) : null;
                using var floorContext = floorRows is null ? null : Context(floorRows, settings);
                var floorPace = CostPreview.Pace(floorContext ?? metricContext, plan);
                var pace = floorRows is null ? floorPace : floorPace.Scaled((double)measured.Count / floorRows.Count);
                double seconds = plan.Seconds(pace);
                string timedOn = floorRows is null ? "" : $" (timed on {floorRows.Count} of the samples)";
                context.Error.WriteLine($"cost: {CostPreview.Range(plan, pace, seconds, metrics, model)}{timedOn} — {CostPreview.Passes(plan, pace)}");
                // --budget is the command's wall time: what loading the data and timing the passes took is already spent.
                double spent = clock.Elapsed.TotalSeconds;
                if (budget is { } limit && folder is null && spent + seconds > limit)
                {
                    var fitted = measuredPlan = plan.Within(Math.Max(1e-3, limit - spent), pace);
                    settings = fitted.Settings;
                    metricContext.Dispose();
                    floorContext?.Dispose();
                    bool onFloor = floorRows is not null && fitted.Samples == floorRows.Count;
                    if (fitted.Samples < measured.Count)
                    {
                        measured.Dispose();
                        indices = train.SampleIndices(fitted.Samples, settings.Seed);
                        measured = onFloor ? floorRows! : train.Rows(indices);
                    }
                    metricContext = Context(measured, settings);
                    // Passes do not cost in proportion to the samples (a ResNet-18's product: 2.06 s at 512, 1.6 s at 256): timed again
                    // at the samples kept, unless those are the floor's, timed already.
                    double work = fitted.Seconds(onFloor ? floorPace : CostPreview.Pace(metricContext, fitted, floorPace));
                    spent = clock.Elapsed.TotalSeconds;
                    double predicted = spent + work;
                    context.Error.WriteLine($"scaled to fit --budget {limit:G4} s: {measured.Count} samples, probes {settings.TraceProbes}, Lanczos {settings.LanczosSteps}, "
                        + $"SLQ {settings.SlqStarts}×{settings.SlqSteps}, Laplace probes {settings.LaplaceProbes}, Fisher subsets {settings.FisherSubsets}, Keskar {settings.KeskarStartCount}×{settings.KeskarSteps}, pacGen perturbations {settings.PacGenPerturbationCount} → about {ProgressBar.Format(predicted)} "
                        + $"in all, {spent:F0} s of it spent loading and timing (the standard errors below are those of the smaller run)");
                    // At the floors only when every count and the samples are (a pass that costs more than in proportion to the samples can
                    // leave a scaled plan over the budget above them: LeNet-5's --budget 60 kept 2 452 samples and needed 70 s).
                    bool atFloors = measured.Count == plan.FloorSamples && settings == plan.Settings.Scaled(1e-12);
                    if (predicted > 1.05 * limit)
                        context.Error.WriteLine(atFloors
                            ? $"note: the floors need about {ProgressBar.Format(predicted)}, more than --budget {limit:G4} s allows; measuring at the floors (leave metrics out with --metrics to go below)"
                            : $"note: timed again at {measured.Count} samples, the scaled plan needs about {ProgressBar.Format(predicted)}, more than --budget {limit:G4} s allows; measuring it");
                }
                else floorContext?.Dispose();
                if (!ReferenceEquals(measured, floorRows)) floorRows?.Dispose();
            }
            // Said after the timing, so that what the process holds includes the graph a timed product kept.
            MemoryPreview.Check(context.Error, measuredPlan, metricContext);
            if (args.String("out") is { } outPath && folder is null)
                folder = UsageException.Check(() => MeasurementFolder.Create(outPath, new MeasurementHeader(model.Spec, train.Name, metrics.Select(m => m.Id).ToList(), request, settings, indices)));
            if (folder is { Done.Count: > 0 }) context.Error.WriteLine($"resuming {folder.Path}: {folder.Done.Count} of {metrics.Count} metrics read back");
            context.Progress.Restart();
            var results = new List<MetricResult>();
            for (int i = 0; i < metrics.Count; i++)
            {
                if (folder?.Done.GetValueOrDefault(metrics[i].Id) is { } kept)
                {
                    // Read back, not measured: its inputs keep no operator's graphs for it.
                    results.Add(kept);
                    metricContext.Finished(metrics[i]);
                    continue;
                }
                context.Progress.Draw((double)i / metrics.Count, $"{i + 1}/{metrics.Count} {metrics[i].Id}".PadRight(36), "");
                results.Add(MetricRegistry.Measure(metricContext, [metrics[i]])[0]);
                folder?.Save(results[^1]);
            }
            context.Progress.Clear();
            folder?.Finish();

            if (args.Has("json"))
            {
                context.Out.WriteLine(JsonSerializer.Serialize(new
                {
                    model = model.Spec, parameters = metricContext.P, samples = measured.Count, data = train.Name,
                    metrics = results.Select(r => new
                    {
                        id = r.Id, value = Finite(r.Value), standard_error = Finite(r.StandardError),
                        cost = new { forward_passes = r.Cost.ForwardPasses, gradients = r.Cost.Gradients, curvature_products = r.Cost.CurvatureProducts, per_sample_gradients = r.Cost.PerSampleGradients },
                        seconds = r.Seconds, settings = r.Settings, terms = r.Terms.ToDictionary(t => t.Key, t => Finite(t.Value)),
                        not_applicable = r.Settings.GetValueOrDefault("not_applicable"),
                    }),
                }));
                return 0;
            }
            var rows = results.Select(r => (IReadOnlyList<string>)[r.Id, r.Display, r.Cost.ToString(), r.Seconds.ToString("F1", CultureInfo.InvariantCulture)]).ToList();
            rows.Add(["total", "", "", results.Sum(r => r.Seconds).ToString("F1", CultureInfo.InvariantCulture)]);
            TerminalTable.Write(context.Terminal, context.Out, ["metric", "value ± se", "cost", "seconds"], rows, 3);
            return 0;
        }
        finally
        {
            metricContext.Dispose();
            measured.Dispose();
        }
    }

    private static double? Finite(double x) => double.IsFinite(x) ? x : null;
}
