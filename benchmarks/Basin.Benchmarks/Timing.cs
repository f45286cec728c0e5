using System.Diagnostics;
using Basin.Native;

/// <summary>Wall-clock timing for the benchmarks.</summary>
internal static class Timing
{
    /// <summary>Median wall time in milliseconds over <paramref name="repeats"/> runs after two warm-up runs.</summary>
    public static double Median(int repeats, Action action)
    {
        action();
        action();
        Sync();
        var times = new double[repeats];
        for (int i = 0; i < repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            action();
            Sync();
            times[i] = clock.Elapsed.TotalMilliseconds;
        }
        Array.Sort(times);
        return times[repeats / 2];
    }

    /// <summary>Waits for the GPU's queued work, so that a CUDA timing counts the kernels and not only their launch.</summary>
    public static void Sync() => TorchRuntime.Synchronize();
}
