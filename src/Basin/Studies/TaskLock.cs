namespace Basin.Studies;

/// <summary>Another process holds the task: it is under way there.</summary>
/// <param name="message">Which task, and which process holds it.</param>
public sealed class TaskBusyException(string message) : Exception(message);

/// <summary>
/// The lock of one study task: <c>models/&lt;name&gt;/task.lock</c> opened exclusively (an advisory <c>flock</c> on Linux,
/// released by the kernel when the process ends, however it ends), with <c>task.owner</c> beside it naming the process
/// (pid and host) for the message of a second one. Two Slurm tasks started on the same index no longer both train.
/// </summary>
internal sealed class TaskLock : IDisposable
{
    private readonly FileStream stream;
    private readonly string owner;

    private TaskLock(FileStream stream, string owner)
    {
        this.stream = stream;
        this.owner = owner;
    }

    /// <summary>Takes the lock of the task whose files live in <paramref name="modelFolder"/>.</summary>
    /// <exception cref="TaskBusyException">Another process holds it.</exception>
    public static TaskLock Take(string modelFolder, string task)
    {
        Directory.CreateDirectory(modelFolder);
        string path = Path.Combine(modelFolder, "task.lock"), ownerPath = Path.Combine(modelFolder, "task.owner");
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
        }
        catch (IOException)
        {
            string holder = "another process";
            try { holder = File.ReadAllText(ownerPath).Trim(); }
            catch (IOException) { }
            throw new TaskBusyException($"{task} is being run by {holder}: this process leaves it to that one");
        }
        File.WriteAllText(ownerPath, $"process {Environment.ProcessId} on {Environment.MachineName}");
        return new TaskLock(stream, ownerPath);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        try { File.Delete(owner); }
        catch (IOException) { }
        stream.Dispose();
    }
}
