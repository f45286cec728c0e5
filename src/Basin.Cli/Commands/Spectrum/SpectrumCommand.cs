using Basin.Models;
using System.Globalization;
using System.Text.Json;
using Basin.Cli.Infrastructure;
using Basin.Data;
using Basin.Operators;
using Basin.Studies;
using Basin.Training;

namespace Basin.Cli.Commands.Spectrum;

/// <summary><c>basin spectrum</c>: top eigenvalues, trace, Tr H² and the SLQ density of a checkpoint's Hessian or GGN.</summary>
public sealed class SpectrumCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "spectrum";

    /// <inheritdoc />
    public string Summary => "top eigenvalues, trace, Tr H² and spectral density of a trained model's Hessian (or GGN)";

    /// <inheritdoc />
    public Arguments Options() => new Arguments(Name, new (string, bool, string)[]
    {
        ("checkpoint", false, "run folder or checkpoint.safetensors written by basin train (or give --model, --data and --out)"),
        ("data", false, "the data set whose training split to use (default: the checkpoint's own training set)"),
        Samples.Declaration,
        SharedOptions.Indices,
        Matrix.Declaration,
        Top.Declaration,
        ("layer", false, "only the parameters of this layer, e.g. 1 or layer2.0.conv1"),
        ("batch-norm-train", true, "batch norm in train mode (batch statistics) instead of eval mode"),
        ("hutchpp", true, "Tr and Tr A² by Hutch++ (a sketch of a third of the probes taken exactly), not Hutchinson: the same products, a smaller error where a few eigenvalues carry most of the trace"),
        Budget.Declaration,
        ("out", false, "folder for spectrum.json (the results), spectrum.csv, spectrum-nodes.csv, spectrum.png, spectrum.svg and indices.txt, the rows measured (default CHECKPOINT/spectrum)"),
        ("json", true, "print the results as JSON"),
    }.Concat([Probes.Declaration, SharedOptions.LanczosSteps.Declaration, SlqSteps.Declaration, SharedOptions.SlqStarts.Declaration, Deflate.Declaration,
        SharedOptions.Seed.Declaration, SharedOptions.RelativeTolerance.Declaration]).Concat(CheckpointData.ModelDeclarations).Concat(DataOptions.Declarations).Concat(RuntimeOptions.Declarations))
        .Complete("matrix", Matrix.Choices);

    private static readonly IntOption Samples = new("samples", "training samples the curvature is averaged over, drawn with the seed (default {default}; 0 = all)", 2048, 0);

    private static readonly ChoiceOption Matrix = new("matrix", "the curvature matrix: hessian, ggn (generalized Gauss-Newton) or fisher (empirical Fisher, seed 001 eq. 2)",
        "hessian", ["hessian", "ggn", "fisher"]);

    private static readonly SpectrumSettings Defaults = new();

    // Its own defaults for these three (measure's are 32, 100 and 0): deflated, 8 probes and 50 steps reach measure's errors (SpectrumSettings).
    private static readonly IntOption Probes = new("probes", "Rademacher probes for Tr and Tr A², one product each; deflated, they sample only the rest of the spectrum (default {default})", Defaults.TraceProbes, 2, 100_000);

    private static readonly IntOption SlqSteps = new("slq-steps", "Lanczos steps per stochastic Lanczos quadrature start (default {default}: deflated, the density at the plot's resolution is that of seed 000's 100 undeflated steps)", Defaults.SlqSteps, 2, 10_000);

    private static readonly IntOption Deflate = new("deflate", "top Ritz pairs deflated: a Lanczos run finds them to the working precision (they give the top eigenvalues), and the probes and SLQ starts then sample only the rest of the spectrum (default {default}; 0: none, as seed 000)", Defaults.Deflate, 0, 1000);

    private static readonly IntOption Top = new("top", "number of largest eigenvalues", Defaults.Top, 1, 1000);

    private static readonly NumberOption Budget = new("budget", "seconds the run may take: after timing one product, scale steps, probes and starts down to fit", 0, 1e-3, 1e9, "off");

    /// <inheritdoc />
    public int Run(Arguments args, CliContext context)
    {
        string? modelSpec = CheckpointData.ModelArgument(args);
        if (modelSpec is not null && !args.Has("out")) throw new UsageException("--model needs --out, the folder for the spectrum's files");
        string? file = modelSpec is null ? CheckpointArgument.Resolve(args) : null;
        int samples = Samples.Read(args);
        var kind = Matrix.Read(args) switch
        {
            "ggn" => CurvatureMatrix.Ggn,
            "fisher" => CurvatureMatrix.Fisher,
            _ => CurvatureMatrix.Hessian,
        };
        int seed = SharedOptions.Seed.Read(args);
        var settings = new SpectrumSettings(Top.Read(args), SharedOptions.LanczosSteps.Read(args), Probes.Read(args),
            SlqSteps.Read(args), SharedOptions.SlqStarts.Read(args), seed, SharedOptions.RelativeTolerance.Read(args), args.Has("hutchpp"), Deflate.Read(args));
        UsageException.Check(settings.Validate);
        double? budget = Budget.ReadOrNull(args);
        string outDir = args.String("out") ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(file!))!, "spectrum");
        OutputFolder.CheckWritable(outDir);
        var runtime = RuntimeOptions.Initialize(args);

        using var loaded = file is null ? null : Checkpoint.Load(file, runtime.Device);
        using var source = loaded is null ? CheckpointData.ForModel(modelSpec!, args.String("weights"), args, runtime.Device) : CheckpointData.For(loaded.Run, args);
        var model = loaded?.Run.Model ?? source.Model!;
        var train = source.Train;
        var indices = MeasuredRows.Choose(args, train, samples, seed);
        using var subset = train.Rows(indices);
        var data = CurvatureData.FromDataset(subset, Math.Min(subset.Count, 4096));
        var options = new OperatorOptions(args.String("layer"), args.Has("batch-norm-train"));
        UsageException.Check(() => ParameterSelection.Select(model.Module, options.Layer));
        using CurvatureOperator op = CurvatureMatrices.Create(kind, model, data, options);
        string matrix = kind.Label() + (options.Layer is { } l ? $" of layer {l}" : "");
        context.Error.WriteLine($"{matrix} of {model.Spec} on {subset.Count} samples of {train.Name}: P = {op.Dimension:N0}, loss {op.Loss():F4}");
        // Memory first: the longest Lanczos run's basis (SLQ's starts one at a time, or together below) or Hutch++'s sketch, checked before a product is timed and said after it.
        // With --deflate, the deflation run's basis, then its pairs' float64 vectors beside each start's.
        int longest = Math.Max(settings.SlqSteps, settings.Deflate > 0 ? settings.DeflationSteps : settings.TopFromSlq ? 0 : settings.LanczosSteps);
        int valueBytes = Basin.Estimators.Lanczos.ValueBytes(op.DType);
        // SLQ's starts go in lock-step, each with its basis, where the operator shares a block product among them (the GGN of a CNN).
        int together = Basin.Estimators.Lanczos.Together(op, settings.SlqStarts, settings.SlqSteps);
        long basis = Math.Max(Basin.Estimators.Lanczos.BasisBytes(longest, op.Dimension, valueBytes), together * Basin.Estimators.Lanczos.BasisBytes(settings.SlqSteps, op.Dimension, valueBytes))
            + settings.Deflate * op.Dimension * 8L;
        // With --hutchpp, its sketch (a third of the probes, several columns each) may hold more than the basis.
        long sketch = settings.HutchPlusPlus ? Basin.Estimators.HutchPlusPlus.HoldingBytes(settings.TraceProbes, op.Dimension, valueBytes) : 0;
        var (largest, held) = sketch > basis ? ($"Hutch++'s sketch of {settings.TraceProbes / 3} directions", sketch) : (together > 1 ? $"{together} Lanczos bases of {settings.SlqSteps} steps" : $"a Lanczos basis of {longest} steps", basis);
        MemoryPreview.Check(null, largest, held);
        // Cost preview: time one product, say what the run will spend, and scale it down to --budget if asked.
        double perProduct = CostPreview.SecondsPerProduct(op);
        MemoryPreview.Check(context.Error, largest, held);
        context.Error.WriteLine($"cost: {settings.Plan()}; one product took {perProduct:F2} s → {Time(settings, perProduct)}");
        if (budget is { } seconds && settings.Products * perProduct > seconds)
        {
            settings = settings.Scaled(seconds / (settings.Products * perProduct));
            context.Error.WriteLine($"scaled to fit --budget {seconds:G4} s: {settings.Plan()} → {Time(settings, perProduct)} (the standard errors below are those of the smaller run)");
        }
        long previewProducts = op.Products;
        context.Progress.Restart();
        var report = SpectrumReport.Measure(matrix, op, subset.Count, settings, (stage, p) => context.Progress.Draw(p, stage.PadRight(26), ""), kind);
        context.Progress.Clear();
        string json = JsonSerializer.Serialize(new
        {
            matrix, model = model.Spec, parameters = report.Dimension, samples = report.Samples,
            top = report.Top.Values.Select((v, i) => new { eigenvalue = v, residual = report.Top.Residuals[i], converged = report.Top.Converged[i] }),
            top_lanczos_steps = report.Settings.TopFromSlq ? report.Density.TopRun.Steps : report.Settings.LanczosSteps, top_from_slq = report.Settings.TopFromSlq,
            trace = new { estimate = report.Trace.Value, standard_error = report.Trace.StandardError, probes = report.Trace.Samples },
            trace_normalized = report.Trace.Value / report.Dimension,
            trace_of_square = new { estimate = report.TraceOfSquare.Value, standard_error = report.TraceOfSquare.StandardError, probes = report.TraceOfSquare.Samples },
            density = new
            {
                starts = report.Density.Rules.Count, steps = report.Density.Steps, deflated = report.Density.DeflatedValues.Count, deflation_steps = report.Density.DeflationRun?.Steps ?? 0,
            },
            products = op.Products - previewProducts, preview_products = previewProducts, seconds = report.Seconds, out_dir = outDir,
        });
        // The folder keeps the numbers with the density: spectrum.json is what --json prints.
        report.Write(outDir, indices, json);

        if (args.Has("json"))
        {
            context.Out.WriteLine(json);
            return 0;
        }
        var o = context.Out;
        o.WriteLine($"{matrix} of {model.Spec}, P = {report.Dimension:N0}, {report.Samples} samples, {op.Products - previewProducts} products (+{previewProducts} timed for the preview), {report.Seconds:F1}s");
        o.WriteLine();
        TerminalTable.Write(context.Terminal, o, ["k", "eigenvalue", "residual", "converged"],
            [.. report.Top.Values.Select((v, i) => (IReadOnlyList<string>)[(i + 1).ToString(CultureInfo.InvariantCulture), G(v),
                report.Top.Residuals[i].ToString("G3", CultureInfo.InvariantCulture), report.Top.Converged[i] ? "yes" : "no"])], 0);
        o.WriteLine();
        string probes = settings.HutchPlusPlus ? "Hutch++" : report.Trace.Settings.TryGetValue("deflated", out var pairs) ? $"the {pairs} and Hutchinson on the rest" : "Hutchinson";
        o.WriteLine($"trace       {report.Trace}   ({probes}, {report.Trace.Samples} probes; Tr/P = {G(report.Trace.Value / report.Dimension)})");
        o.WriteLine($"Tr {(kind == CurvatureMatrix.Hessian ? "H" : kind == CurvatureMatrix.Ggn ? "G" : "F")}²       {report.TraceOfSquare}   ({probes}, {report.TraceOfSquare.Samples} probes)");
        o.WriteLine($"density     {Path.Combine(outDir, "spectrum.csv")}, spectrum.png, spectrum.svg (SLQ {settings.SlqStarts}×{settings.SlqSteps}"
            + (report.Density.DeflationRun is { } top ? $", deflated by {report.Density.DeflatedValues.Count} pairs from {top.Steps} steps" : "") + ")");
        return 0;
    }

    /// <summary>What the settings' products take at <paramref name="perProduct"/> seconds each: about that, or under a precision target the range from the least.</summary>
    private static string Time(SpectrumSettings settings, double perProduct) => settings.RelativeTolerance > 0
        ? $"{ProgressBar.Format(settings.LeastProducts * perProduct)} to {ProgressBar.Format(settings.Products * perProduct)}"
        : $"about {ProgressBar.Format(settings.Products * perProduct)}";

    private static string G(double x) => x.ToString("G6", CultureInfo.InvariantCulture);

}
