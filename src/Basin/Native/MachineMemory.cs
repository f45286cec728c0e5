namespace Basin.Native;

/// <summary>The memory this machine can still give a process, as the kernel reports it.</summary>
public static class MachineMemory
{
    /// <summary>
    /// <c>MemAvailable</c> of <c>/proc/meminfo</c> in bytes — what the kernel can hand out without swapping — or null where
    /// it is not reported (not Linux, or not readable).
    /// </summary>
    public static long? AvailableBytes()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
                if (line.StartsWith("MemAvailable:", StringComparison.Ordinal)
                    && long.TryParse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], out long kib))
                    return kib * 1024;
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return null;
    }

    /// <summary>A cap on what a command plans to hold (<c>--max-memory</c>), in bytes; null for none.</summary>
    public static long? Limit { get; set; }

    /// <summary>Bytes as GB with two decimals, for preview lines.</summary>
    public static string Format(long bytes) => (bytes / 1e9).ToString("F2", System.Globalization.CultureInfo.InvariantCulture) + " GB";
}
