namespace Basin.IO;

/// <summary>
/// A multi-file output written all or nothing: files go into a hidden stage inside the target folder (same file
/// system), and <see cref="Commit"/> first checks that every one can take its place, then renames them in — renames need
/// no space, so a full disk fails while staging, when the target is still untouched. Disposing without a commit removes
/// the stage; a stage left by a killed process is removed by the next one that writes the same folder
/// (<see cref="StaleFiles"/>). A new target folder is removed again when nothing was committed.
/// </summary>
public sealed class StagedFolder : IDisposable
{
    private readonly string? createdRoot;
    private bool committed;

    /// <summary>Opens a stage for <paramref name="folder"/>, creating the folder (and removing stale stages and temporary files in it).</summary>
    public StagedFolder(string folder)
    {
        Target = Path.GetFullPath(folder);
        createdRoot = StaleFiles.FirstMissing(Target);
        Directory.CreateDirectory(Target);
        StaleFiles.Remove(Target);
        Stage = Path.Combine(Target, $".staging.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        Directory.CreateDirectory(Stage);
    }

    /// <summary>The folder the files end up in.</summary>
    public string Target { get; }

    /// <summary>The stage: write the output's files here.</summary>
    public string Stage { get; }

    /// <summary>Moves every staged file into <see cref="Target"/> (keeping sub-folders), after checking each can go there.</summary>
    /// <exception cref="IOException">A destination is a folder, or cannot be replaced; nothing was moved.</exception>
    public void Commit()
    {
        var files = Directory.EnumerateFiles(Stage, "*", SearchOption.AllDirectories).Select(f => (From: f, To: Path.Combine(Target, Path.GetRelativePath(Stage, f)))).ToList();
        if (files.FirstOrDefault(f => Directory.Exists(f.To)) is { From: not null } blocked)
            throw new IOException($"{blocked.To} is a folder where the output file {Path.GetFileName(blocked.To)} goes: nothing was written");
        foreach (var (_, to) in files) Directory.CreateDirectory(Path.GetDirectoryName(to)!);
        foreach (var (from, to) in files) File.Move(from, to, overwrite: true);
        committed = true;
        Directory.Delete(Stage, recursive: true);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        try
        {
            if (Directory.Exists(Stage)) Directory.Delete(Stage, recursive: true);
            if (!committed && createdRoot is not null) StaleFiles.RemoveEmpty(Target, createdRoot);
        }
        catch (IOException)
        {
            // Best effort: a stage that cannot be removed now is stale for the next run, which removes it.
        }
    }
}
