using System.Globalization;
using System.Text;
using Basin.Cli.Infrastructure;
using Basin.Data;
using Basin.IO;
using Basin.Models;
using Basin.Studies;
using Basin.Studies.Plotting;
using Basin.Training;

namespace Basin.Cli.Commands.Landscape;

/// <summary>
/// <c>basin landscape</c>: the 2-D training-loss landscape around a trained model (filter-normalised random
/// directions) or over the two parameters of seed 003's toy model (<c>--toy</c>), as CSV and a heat map.
/// </summary>
public sealed class LandscapeCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "landscape";

    /// <inheritdoc />
    public string Summary => "2-D loss landscape around a trained model, or of seed 003's two-parameter toy model (--toy)";

    /// <inheritdoc />
    public Arguments Options() => new(Name, new (string, bool, string)[]
    {
        ("checkpoint", false, "run folder or checkpoint.safetensors (or --toy, or --model with --data and --out)"),
        ("data", false, "with --model: the data set whose training split the loss is evaluated on"),
        ("toy", true, "train seed 003's shared-sigmoid model on gaussians3 and map the loss over its two parameters"),
        Points.Declaration,
        Radius.Declaration,
        Samples.Declaration,
        Seed.Declaration,
        SharedOptions.Indices,
        ("out", false, "folder for landscape.csv, landscape.png, landscape.svg and indices.txt, the rows evaluated (default CHECKPOINT/landscape or runs/landscape-toy)"),
    }.Concat(CheckpointData.ModelDeclarations).Concat(DataOptions.Declarations).Concat(RuntimeOptions.Declarations));

    private static readonly IntOption Points = new("points", "grid points a side", 21, 2, 201);

    private static readonly NumberOption Radius = new("radius", "extent along each direction, in units of the filter norms", 1, 1e-6, 1e6);

    private static readonly IntOption Samples = new("samples", "training samples the loss is evaluated on", 2048, 2);

    private static readonly IntOption Seed = new("seed", "seed of the directions and the sample", 0, 0);

    /// <inheritdoc />
    public int Run(Arguments args, CliContext context)
    {
        int points = Points.Read(args);
        double radius = Radius.Read(args);
        int samples = Samples.Read(args);
        int seed = Seed.Read(args);
        var runtime = RuntimeOptions.Initialize(args);
        Studies.Landscape landscape;
        string title, outDir;
        long[]? indices = null;
        if (args.Has("toy"))
        {
            OutputFolder.CheckWritable(args.String("out") ?? Path.Combine("runs", "landscape-toy"));
            using var split = DataCatalog.Load("gaussians3");
            var config = new TrainConfig { Model = "shared-sigmoid", Data = "gaussians3", Epochs = 200, BatchSize = 100, LearningRate = 0.5, Seed = seed, Optimizer = new(OptimizerKind.Sgd, 0.9) };
            using var run = TrainingRun.Start(config, split.Train, runtime.Device);
            run.Train(split.Train, split.Test);
            landscape = LossLandscape.OverParameters(run.Model, split.Train, points: Math.Max(points, 41));
            title = $"seed 003 toy model: training loss over (w1, w2), trained to ({landscape.Center[0]:F2}, {landscape.Center[1]:F2})";
            outDir = args.String("out") ?? Path.Combine("runs", "landscape-toy");
        }
        else if (CheckpointData.ModelArgument(args) is { } modelSpec)
        {
            outDir = args.String("out") ?? throw new UsageException("--model needs --out, the folder for the landscape's files");
            OutputFolder.CheckWritable(outDir);
            using var data = CheckpointData.ForModel(modelSpec, args.String("weights"), args, runtime.Device);
            indices = MeasuredRows.Choose(args, data.Train, Math.Min(samples, data.Train.Count), seed);
            using var sample = data.Train.Rows(indices);
            context.Error.WriteLine($"loss landscape of {data.Model!.Spec} on {sample.Count} samples, {points}×{points} points");
            landscape = LossLandscape.Around(data.Model, sample, points, radius, seed);
            title = $"training loss around {Path.GetFileName(modelSpec)} (filter-normalised directions)";
        }
        else
        {
            string file = CheckpointArgument.Resolve(args, "--checkpoint DIR, --model or --toy is required");
            OutputFolder.CheckWritable(args.String("out") ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(file))!, "landscape"));
            using var loaded = Checkpoint.Load(file, runtime.Device);
            using var split = DataCatalog.Load(loaded.Run.Config.Data);
            using var train = TrainingRun.PrepareTrainingSet(loaded.Run.Config, split.Train);
            indices = MeasuredRows.Choose(args, train, Math.Min(samples, train.Count), seed);
            using var sample = train.Rows(indices);
            context.Error.WriteLine($"loss landscape of {loaded.Run.Model.Spec} on {sample.Count} samples, {points}×{points} points");
            landscape = LossLandscape.Around(loaded.Run.Model, sample, points, radius, seed);
            title = $"training loss around {loaded.Run.Model.Spec} (filter-normalised directions)";
            outDir = args.String("out") ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(file))!, "landscape");
        }
        // The CSV and both plots, or nothing.
        using (var stage = new StagedFolder(outDir))
        {
            WriteFiles(stage.Stage, landscape, title, args.Has("toy"));
            if (indices is not null) AtomicFile.WriteAllText(Path.Combine(stage.Stage, "indices.txt"), DataTransforms.IndicesText(indices));
            stage.Commit();
        }
        double min = landscape.Loss.SelectMany(r => r).Min(), max = landscape.Loss.SelectMany(r => r).Max();
        context.Out.WriteLine($"loss from {min:G4} to {max:G4} on the grid; {Path.Combine(outDir, "landscape.csv")}, landscape.png, landscape.svg");
        return 0;
    }

    private static void WriteFiles(string outDir, Studies.Landscape landscape, string title, bool toy)
    {
        var csv = new StringBuilder("x,y,loss\n");
        for (int i = 0; i < landscape.X.Length; i++)
            for (int j = 0; j < landscape.Y.Length; j++)
                csv.AppendLine(string.Join(",", new[] { landscape.X[i], landscape.Y[j], landscape.Loss[i][j] }.Select(v => v.ToString("G9", CultureInfo.InvariantCulture))));
        AtomicFile.WriteAllText(Path.Combine(outDir, "landscape.csv"), csv.ToString());
        new HeatmapPlot(title, toy ? "w1" : "direction 1", toy ? "w2" : "direction 2", landscape.X, landscape.Y, landscape.Grid(), logScale: true) { Marker = (landscape.Center[0], landscape.Center[1]) }
            .Save(Path.Combine(outDir, "landscape"));
    }
}
