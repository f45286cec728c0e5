using Basin.Training;

namespace Basin.Cli.Infrastructure;

/// <summary>The <c>--checkpoint</c> option shared by the commands that read a trained model.</summary>
public static class CheckpointArgument
{
    /// <summary>The checkpoint file named by <c>--checkpoint</c> (a run folder or the file itself).</summary>
    /// <exception cref="UsageException">Not given, or the file does not exist.</exception>
    public static string Resolve(Arguments args, string missing = "--checkpoint DIR is required (a folder written by basin train)")
    {
        string checkpoint = args.String("checkpoint") ?? throw new UsageException(missing);
        string file = Directory.Exists(checkpoint) ? Path.Combine(checkpoint, Checkpoint.FileName) : checkpoint;
        if (!File.Exists(file)) throw new UsageException($"--checkpoint: {file} does not exist");
        return file;
    }
}
