using TorchSharp;
using Basin.Data;
using Basin.Models;
using Basin.Training;

namespace Basin.Cli.Infrastructure;

/// <summary>
/// The data a command that reads a trained model works on: the checkpoint's own training set as it was
/// trained (subset, confusion set, random labels), or the training split of the set named by <c>--data</c>.
/// </summary>
public sealed class CheckpointData : IDisposable
{
    private CheckpointData(DataSplit split, Dataset train, Model? model = null)
    {
        Split = split;
        Train = train;
        Model = model;
    }

    /// <summary>The model built by <see cref="ForModel"/> (owned here); null for a checkpoint's.</summary>
    public Model? Model { get; }

    /// <summary>The loaded split (train and test).</summary>
    public DataSplit Split { get; }

    /// <summary>The training samples.</summary>
    public Dataset Train { get; }

    /// <summary>
    /// The training split of <c>--data</c> and the model <paramref name="spec"/> built for it on <paramref name="device"/>
    /// (a TorchScript file, or a zoo model with <paramref name="weights"/> from PyTorch, or seeded weights).
    /// </summary>
    public static CheckpointData ForModel(string spec, string? weights, Arguments args, TorchSharp.torch.Device device)
    {
        var split = DataCatalog.Load(DataOptions.Spec(args, null)!);
        Model? model = null;
        try
        {
            if (args.String("output") is { } output)
            {
                if (!spec.StartsWith(TorchScriptModels.Prefix, StringComparison.Ordinal)) throw new UsageException("--output is for a torchscript --model whose forward returns a tuple or list");
                spec += TorchScriptModels.OutputMarker + output;
            }
            model = UsageException.Check(() => ModelZoo.Create(spec, split.Train.SampleShape, split.Train.NumClasses, seed: 0));
            if (args.String("loss") is { } loss)
            {
                // The same module measured under another loss: the record is copied, the module stays owned once.
                model = model with { Loss = loss switch
                {
                    "ce" => LossKind.CrossEntropy,
                    "mse" => LossKind.MeanSquaredError,
                    _ => throw new UsageException($"--loss must be ce (softmax cross-entropy) or mse (½‖f(x) − one-hot‖²), got '{loss}'"),
                } };
            }
            if (weights is not null)
            {
                if (!File.Exists(weights)) throw new UsageException($"--weights: {weights} does not exist");
                Checkpoint.ImportWeights(model, weights);
            }
            model.Module.to(device);
            var train = split.Train.SampleOrAll(0, 0);
            try
            {
                Evaluation.CheckOutputs(model, train);
            }
            catch
            {
                train.Dispose();
                throw;
            }
            return new CheckpointData(split, train, model);
        }
        catch
        {
            model?.Dispose();
            split.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The options of a model Basin did not train: <c>--model</c>, <c>--weights</c>, <c>--loss</c> (with <c>--data</c>, which
    /// the commands declare themselves).
    /// </summary>
    public static readonly (string, bool, string)[] ModelDeclarations =
    [
        ("model", false, "a model basin did not train: torchscript:PATH.pt (any PyTorch model saved as TorchScript), or a zoo spec with --weights"),
        ("weights", false, "with a zoo --model: its weights, a safetensors file saved from PyTorch (state_dict names)"),
        ("loss", false, "with --model: the loss its outputs are measured with, ce (softmax cross-entropy) or mse (½‖f(x) − one-hot‖²) (default ce)"),
        ("output", false, "with a torchscript --model whose forward returns a tuple or list: the position of the logits in it (0, 1, …)"),
    ];

    /// <summary>The one-line checks of <c>--checkpoint</c> against <c>--model</c>, <c>--weights</c> and <c>--data</c>; the model spec when <c>--model</c> is given.</summary>
    /// <exception cref="UsageException">Both or neither of --checkpoint and --model, --weights or --loss without --model, --model without --data.</exception>
    public static string? ModelArgument(Arguments args)
    {
        if (!args.Has("model") && args.Has("output")) throw new UsageException("--output needs a torchscript --model");
        if (!args.Has("model") && args.Has("loss")) throw new UsageException("--loss needs --model: a checkpoint keeps the loss it was trained with");
        string? spec = args.String("model");
        if (spec is not null && args.Has("checkpoint")) throw new UsageException("give --checkpoint or --model, not both");
        if (spec is null && args.Has("weights")) throw new UsageException("--weights needs --model, the zoo model the weights are for");
        if (spec is not null && !args.Has("data")) throw new UsageException("--model needs --data, the data set whose training split to measure on");
        return spec;
    }

    /// <summary>Loads the data for <paramref name="run"/>, checking that it fits the model (a misfit is a usage error).</summary>
    public static CheckpointData For(TrainingRun run, Arguments args)
    {
        string spec = DataOptions.Spec(args, run.Config.Data)!;
        var split = DataCatalog.Load(spec);
        try
        {
            var train = spec == run.Config.Data ? TrainingRun.PrepareTrainingSet(run.Config, split.Train) : split.Train.SampleOrAll(0, 0);
            try
            {
                UsageException.Check(() => Evaluation.CheckFits(run.Model, train));
                return new CheckpointData(split, train);
            }
            catch
            {
                train.Dispose();
                throw;
            }
        }
        catch
        {
            split.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Model?.Dispose();
        Train.Dispose();
        Split.Dispose();
    }
}
