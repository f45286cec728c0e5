using System.Diagnostics;
using Basin.Native;

/// <summary>Wall-clock timing for the benchmarks.</summary>
internal static class Timing
{
    /// <summary>Median wall time in milliseconds over <paramref name="repeats"/> runs after two warm-up runs, each waiting for CUDA's queued kernels.</summary>
    public static double Median(int repeats, Action action)
    {
        action();
        action();
        TorchRuntime.Synchronize();
        var times = new double[repeats];
        for (int i = 0; i < repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            action();
            TorchRuntime.Synchronize();
            times[i] = clock.Elapsed.TotalMilliseconds;
        }
        Array.Sort(times);
        return times[repeats / 2];
    }
}
