using System.Runtime.InteropServices;

namespace Basin.Native;

/// <summary>
/// Keeps freed tensor memory in glibc's heap instead of handing every large block back to the kernel.
/// </summary>
/// <remarks>
/// glibc's malloc serves blocks above its mmap threshold (128 KiB, adapting up to 32 MiB) with a fresh
/// <c>mmap</c> and returns them with <c>munmap</c> when freed. A convolution at batch 2048 allocates and
/// frees tensors of tens of MiB several times per product, and every one is then zero-filled page by page
/// by the kernel: on LeNet-5 that was 37% of the CPU time as system time, and a Hessian-vector product took
/// twice as long as without it (docs/benchmarks.md). <c>mallopt(M_MMAP_MAX, 0)</c> serves every block from
/// the heap and <c>mallopt(M_TRIM_THRESHOLD, −1)</c> never gives freed memory at its top back, so the pages are
/// reused — the same effect as PyTorch users get from jemalloc or tcmalloc. (A threshold of 2 GiB was not enough:
/// a ResNet-20 Hessian-vector product at batch 128 with a fresh graph frees more than that at once, glibc trimmed it,
/// and the next product faulted it in again — 6 products took 3.4 M page faults and 41 s of system time, 1.4 M and
/// 20 s without the trim.) The cost: the process keeps its peak memory. Set <c>BASIN_MALLOC=system</c> to leave
/// glibc's defaults alone. Where transparent huge pages are on for <c>madvise</c> only, glibc uses them for the heap
/// with <c>GLIBC_TUNABLES=glibc.malloc.hugetlb=1</c> (read at process start, so set by the <c>basin</c> script):
/// the first product's page faults fell from 1.3 M to 26 k there (15.6 s → 6.5 s).
/// </remarks>
internal static partial class Allocator
{
    private const int TrimThreshold = -1;
    private const int MmapMax = -4;

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int MallOpt(int parameter, int value);

    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);

    /// <summary>
    /// Hands the heap's free pages back to the kernel (glibc's <c>malloc_trim</c>, which also releases whole free pages inside
    /// the heap): once a large state is dropped (an operator's kept graphs), so that the process's resident memory is what it
    /// holds, not its peak so far. The pages are faulted in again when reused: call it between metrics, never per product.
    /// </summary>
    public static void Trim()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("BASIN_MALLOC") is "system") return;
        try
        {
            MallocTrim(0);
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
        }
    }

    /// <summary>Applies the setting once (Linux with glibc only) and says what was done.</summary>
    public static string Configure()
    {
        if (!OperatingSystem.IsLinux()) return "system default (not Linux)";
        if (Environment.GetEnvironmentVariable("BASIN_MALLOC") is "system") return "system default (BASIN_MALLOC=system)";
        try
        {
            bool ok = MallOpt(MmapMax, 0) == 1 & MallOpt(TrimThreshold, -1) == 1;
            return ok ? "glibc heap kept (no mmap per tensor, never trimmed)" : "system default (mallopt refused)";
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return "system default (no glibc mallopt)";
        }
    }
}
