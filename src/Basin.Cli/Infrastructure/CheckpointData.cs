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
    private CheckpointData(DataSplit split, Dataset train)
    {
        Split = split;
        Train = train;
    }

    /// <summary>The loaded split (train and test).</summary>
    public DataSplit Split { get; }

    /// <summary>The training samples.</summary>
    public Dataset Train { get; }

    /// <summary>Loads the data for <paramref name="run"/>, checking that it fits the model (a misfit is a usage error).</summary>
    public static CheckpointData For(TrainingRun run, Arguments args)
    {
        string spec = args.String("data", run.Config.Data);
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
        Train.Dispose();
        Split.Dispose();
    }
}
