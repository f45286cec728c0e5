using System.Diagnostics;

/// <summary>Wall-clock timing for the benchmarks.</summary>
internal static class Timing
{
    /// <summary>Median wall time in milliseconds over <paramref name="repeats"/> runs after two warm-up runs.</summary>
    public static double Median(int repeats, Action action)
    {
        action();
        action();
        var times = new double[repeats];
        for (int i = 0; i < repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            action();
            times[i] = clock.Elapsed.TotalMilliseconds;
        }
        Array.Sort(times);
        return times[repeats / 2];
    }
}
