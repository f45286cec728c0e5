using System.Diagnostics;

namespace Basin.IO;

/// <summary>
/// The temporary files and stages a killed write leaves (<c>.NAME.PID.GUID.tmp</c>, <see cref="AtomicFile"/> and
/// <see cref="StagedFolder"/>): removed by the next write into the same folder when their process is gone and they are
/// older than <see cref="MinimumAge"/> (a process on another machine sharing the folder is given that long).
/// </summary>
public static class StaleFiles
{
    /// <summary>How old a temporary file of a process not running here must be before it counts as stale.</summary>
    public static readonly TimeSpan MinimumAge = TimeSpan.FromMinutes(10);

    /// <summary>Removes the stale temporary files and stages directly in <paramref name="folder"/>; returns how many.</summary>
    public static int Remove(string folder)
    {
        if (!Directory.Exists(folder)) return 0;
        int removed = 0;
        foreach (var entry in Directory.EnumerateFileSystemEntries(folder, ".*.tmp"))
        {
            var parts = Path.GetFileName(entry).Split('.');
            // "", NAME…, PID, GUID, "tmp"
            if (parts.Length < 5 || !int.TryParse(parts[^3], out int pid) || parts[^2].Length != 32) continue;
            if (pid == Environment.ProcessId || Alive(pid)) continue;
            try
            {
                var info = Directory.Exists(entry) ? (FileSystemInfo)new DirectoryInfo(entry) : new FileInfo(entry);
                if (DateTime.UtcNow - info.LastWriteTimeUtc < MinimumAge) continue;
                if (info is DirectoryInfo d) d.Delete(recursive: true);
                else info.Delete();
                removed++;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
        return removed;
    }

    private static bool Alive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>The outermost folder of <paramref name="folder"/>'s path that does not exist yet (null when it exists).</summary>
    public static string? FirstMissing(string folder)
    {
        string full = Path.GetFullPath(folder);
        if (Directory.Exists(full)) return null;
        string missing = full;
        for (var parent = Path.GetDirectoryName(missing); parent is not null && !Directory.Exists(parent); parent = Path.GetDirectoryName(missing)) missing = parent;
        return missing;
    }

    /// <summary>Removes <paramref name="folder"/> and its parents up to <paramref name="root"/> while they are empty.</summary>
    public static void RemoveEmpty(string folder, string root)
    {
        for (var dir = Path.GetFullPath(folder); dir is not null && dir.StartsWith(root, StringComparison.Ordinal); dir = Path.GetDirectoryName(dir))
        {
            if (!Directory.Exists(dir) || Directory.EnumerateFileSystemEntries(dir).Any()) return;
            Directory.Delete(dir);
            if (dir == root) return;
        }
    }
}
