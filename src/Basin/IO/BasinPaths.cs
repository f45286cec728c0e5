namespace Basin.IO;

/// <summary>Where Basin keeps what it caches: data sets installed by set-up and native library copies.</summary>
public static class BasinPaths
{
    /// <summary>
    /// The cache folder: <c>BASIN_CACHE</c> if set; else <c>.cache</c> in the Basin source tree the program
    /// runs from (the folder holding <c>Basin.slnx</c>, found upward from the program); else
    /// <c>~/.cache/basin</c>.
    /// </summary>
    public static string CacheRoot
    {
        get
        {
            var fromEnv = Environment.GetEnvironmentVariable("BASIN_CACHE");
            if (!string.IsNullOrWhiteSpace(fromEnv)) return Path.GetFullPath(fromEnv);
            if (SourceRoot is { } root) return Path.Combine(root, ".cache");
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "basin");
        }
    }

    /// <summary>The Basin source tree the program runs from, or null for an installed copy.</summary>
    public static string? SourceRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Basin.slnx"))) return dir.FullName;
            }
            return null;
        }
    }

    /// <summary>The data cache folder (<c>&lt;cache&gt;/data</c>), where set-up installs data sets.</summary>
    public static string DataCache => Path.Combine(CacheRoot, "data");
}
