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
        ("samples", false, "training samples to measure on, drawn with the seed (default 10000; 0 = all)"),
        MetricIds.Declaration,
        ("list", true, "list the metrics and exit"),
        ("diagonal", false, "Hessian diagonal of hessian.diagonal: hutchinson, exact, finite-difference, sqgrad (default hutchinson)"),
        ("pacgen-diagonal", false, "non-negative curvature diagonal of pacgen and seed 003's bounds: ggn (exact GGN diagonal), sqgrad, or a Hessian one as for --diagonal (default ggn)"),
        ("laplace-probes", false, "Rademacher probes of pacbayes.laplace.approx (default 8; seed 000 uses 1)"),
        ("fisher-norms", false, "unbiased (default: U-statistic, Lanczos on the Fisher) or subsets (seed 001's biased subset forms)"),
        ("fisher-subsets", false, "subsets T of the Fisher metrics (default 100; subset size N′ = 100)"),
        ("budget", false, "seconds the curvature products may take: after timing one, scale probes, Lanczos and SLQ down (to floors), then the samples, to fit"),
        ("json", true, "print the results as JSON"),
        ("out", false, "keep the measurement in this folder as it goes: measure.json, indices.txt (the measured rows), metrics/ID.json as each finishes, results.json and results.csv at the end"),
        ("resume", true, "with --out: continue a killed measurement there, reading back the metrics it finished"),
        SharedOptions.Indices,
    }.Concat(SharedOptions.Curvature).Concat(CheckpointData.ModelDeclarations).Concat(DataOptions.Declarations).Concat(RuntimeOptions.Declarations))
        .Complete("metrics", MetricIds.Completions)
        .Complete("diagonal", Basin.IO.EnumNames.All<DiagonalEstimator>().Where(n => n != DiagonalEstimator.Ggn.Name()))
        .Complete("pacgen-diagonal", Basin.IO.EnumNames.All<DiagonalEstimator>())
        .Complete("fisher-norms", Basin.IO.EnumNames.All<FisherNormForm>());

    /// <inheritdoc />
    public int Run(Arguments args, CliContext context)
    {
        if (args.Has("list"))
        {
            foreach (var m in MetricRegistry.All) context.Out.WriteLine($"{m.Id,-28} {m.Cost,-9} {Papers.Cite(m.Description)}  [{Papers.Cite(m.Source)}]" + (m.OptIn ? "  (opt-in: name it; all leaves it out)" : ""));
            return 0;
        }
        var metrics = UsageException.Check(() => MetricRegistry.Select(args.String("metrics", "all")));
        string? modelSpec = CheckpointData.ModelArgument(args);
        string? file = modelSpec is null ? CheckpointArgument.Resolve(args) : null;
        int samples = args.Int("samples", 10_000, 0);
        double? budget = args.Has("budget") ? args.Double("budget", 0, 1e-3, 1e9) : null;
        var settings = new MeasureSettings
        {
            Seed = args.Int("seed", 0, 0),
            TraceProbes = args.Int("probes", SharedOptions.Probes, 2, 100_000),
            Diagonal = DiagonalEstimators.Parse(args.String("diagonal", "hutchinson")),
            PacGenDiagonal = DiagonalEstimators.Parse(args.String("pacgen-diagonal", "ggn")),
            LanczosSteps = args.Int("lanczos-steps", SharedOptions.LanczosSteps, 2, 10_000),
            SlqSteps = args.Int("slq-steps", SharedOptions.SlqSteps, 2, 10_000),
            SlqStarts = args.Int("slq-starts", SharedOptions.SlqStarts, 1, 1000),
            LaplaceProbes = args.Int("laplace-probes", 8, 2, 100_000),
            FisherNorms = args.String("fisher-norms", "unbiased") switch
            {
                "unbiased" => FisherNormForm.Unbiased,
                "subsets" => FisherNormForm.Subsets,
                var other => throw new UsageException($"--fisher-norms must be unbiased or subsets, got '{other}'"),
            },
            FisherSubsets = args.Int("fisher-subsets", 100, 1, 100_000),
            RelativeTolerance = SharedOptions.RelativeTolerance(args),
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
        if (folder is not null) (settings, indices) = (folder.Header.Settings, folder.Header.Indices);
        var measured = train.Rows(indices);
        var metricContext = new MetricContext(model, measured, settings, loaded?.Run.Record());
        try
        {
            var plan = MeasurementPlan.For(metrics, settings, measured.Count, model);
            if (plan.Refusal is { } refusal) throw new UsageException(refusal);
            context.Error.WriteLine($"measuring {metrics.Count} metrics of {model.Spec} (P = {metricContext.P:N0}) on {measured.Count} samples of {train.Name}");
            if (plan.ReadsFisherSubsets) FisherMemory.Check(context.Error, model, metricContext, settings);
            // Cost preview: count the products, time one, and say what the curvature part will take; scale to --budget.
            if (plan.Products > 0)
            {
                double each = CostPreview.SecondsPerProduct(metricContext.Hessian);
                string bound = settings.RelativeTolerance > 0 ? $"at most {plan.Products} curvature products (the precision target {settings.RelativeTolerance:G3} may stop each estimator sooner)" : $"about {plan.Products} curvature products";
                context.Error.WriteLine($"cost: {bound} at {each:F2} s each → {(settings.RelativeTolerance > 0 ? "up to " : "")}{ProgressBar.Format(plan.Products * each)}" + (plan.PerSampleGradients > 0 ? $", plus {plan.PerSampleGradients:N0} per-sample gradients" : "") + " (other passes not counted)");
                if (budget is { } seconds && folder is null && plan.Within(seconds, each) is var fitted && fitted != plan)
                {
                    settings = fitted.Settings;
                    metricContext.Dispose();
                    int before = measured.Count;
                    if (fitted.Samples < measured.Count)
                    {
                        measured.Dispose();
                        indices = train.SampleIndices(fitted.Samples, settings.Seed);
                        measured = train.Rows(indices);
                    }
                    metricContext = new MetricContext(model, measured, settings, loaded?.Run.Record());
                    context.Error.WriteLine($"scaled to fit --budget {seconds:G4} s: {measured.Count} samples, probes {settings.TraceProbes}, Lanczos {settings.LanczosSteps}, "
                        + $"SLQ {settings.SlqStarts}×{settings.SlqSteps}, Laplace probes {settings.LaplaceProbes} → {fitted.Products} products, about {ProgressBar.Format(fitted.Products * each * measured.Count / before)} "
                        + "(the standard errors below are those of the smaller run)");
                }
            }
            if (args.String("out") is { } outPath && folder is null)
                folder = UsageException.Check(() => MeasurementFolder.Create(outPath, new MeasurementHeader(model.Spec, train.Name, metrics.Select(m => m.Id).ToList(), request, settings, indices)));
            if (folder is { Done.Count: > 0 }) context.Error.WriteLine($"resuming {folder.Path}: {folder.Done.Count} of {metrics.Count} metrics read back");
            context.Progress.Restart();
            var results = new List<MetricResult>();
            for (int i = 0; i < metrics.Count; i++)
            {
                if (folder?.Done.GetValueOrDefault(metrics[i].Id) is { } kept) { results.Add(kept); continue; }
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
