namespace Basin.Cli.Infrastructure;

/// <summary>Checks before any work that an output folder can be written, leaving nothing behind.</summary>
public static class OutputFolder
{
    /// <summary>Throws <see cref="IOException"/> naming <paramref name="folder"/> when a file cannot be written there.</summary>
    public static void CheckWritable(string folder, string option = "--out")
    {
        if (File.Exists(folder)) throw new IOException($"{option} {folder} is a file, not a folder");
        string? created = Basin.IO.StaleFiles.FirstMissing(folder);
        string probe = Path.Combine(folder, $".basin-write-check-{Environment.ProcessId}");
        try
        {
            Directory.CreateDirectory(folder);
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"{option} {folder} cannot be written ({e.Message})", e);
        }
        finally
        {
            // Every folder the check created goes again, parents included.
            if (created is not null) Basin.IO.StaleFiles.RemoveEmpty(folder, created);
        }
    }
}
