using Basin.Native;
using TorchSharp;
using Xunit;

namespace Basin.Tests.Native;

public class TorchRuntimeTests
{
    [Fact]
    public void LoadsTorchSharpAndComputesAMatrixProduct()
    {
        var status = TorchRuntime.Initialize();
        using var a = torch.tensor(new double[] { 1, 2, 3, 4 }, 2, 2);
        using var product = a.matmul(a);
        // [[1,2],[3,4]]² = [[7,10],[15,22]]
        Assert.Equal(new double[] { 7, 10, 15, 22 }, product.data<double>().ToArray());
        Assert.Equal("bundled", status.LibTorchSource);
        Assert.StartsWith("2.10", status.LibTorchVersion);
    }

    [Fact]
    public void CompatStepIsAppliedExactlyWhenTheSystemLibStdCxxLacksTheVersion()
    {
        var status = TorchRuntime.Initialize();
        bool systemHasIt = SystemLibStdCxxHasTheVersion();
        Assert.Equal(!systemHasIt, status.CompatApplied);
        Assert.Contains(systemHasIt ? "nothing to do" : "libbasin_glibcxx_compat.so", status.CompatDetail);
    }

    [Fact]
    public void FreedTensorMemoryStaysInTheHeapOnGlibc()
    {
        // glibc (Debian's libc) accepts both mallopt settings; BASIN_MALLOC=system would turn them off.
        if (Environment.GetEnvironmentVariable("BASIN_MALLOC") is "system") return;
        Assert.Equal("glibc heap kept (no mmap per tensor, never trimmed)", TorchRuntime.Status.Allocator);
    }

    /// <summary>Whether the libstdc++ this process loaded defines GLIBCXX_3.4.32, read from the file itself (not from Basin's check).</summary>
    internal static bool SystemLibStdCxxHasTheVersion() =>
        File.ReadAllText("/proc/self/maps").Contains("libstdc++") && SystemLibStdCxxHas("GLIBCXX_3.4.32");

    private static bool SystemLibStdCxxHas(string version)
    {
        foreach (var line in File.ReadLines("/proc/self/maps"))
        {
            int at = line.IndexOf('/');
            if (at < 0 || !line.Contains("libstdc++.so")) continue;
            var bytes = File.ReadAllBytes(line[at..]);
            return System.Text.Encoding.ASCII.GetString(bytes).Contains(version + "\0");
        }
        return false;
    }
}
