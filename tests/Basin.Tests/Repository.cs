namespace Basin.Tests;

/// <summary>The repository the tests were built from.</summary>
internal static class Repository
{
    /// <summary>The folder holding Basin.slnx, found upwards from the test binaries.</summary>
    public static string Root()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Basin.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException($"no Basin.slnx above {AppContext.BaseDirectory}");
    }
}
