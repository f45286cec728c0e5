using Basin.Models;
using static TorchSharp.torch;

namespace Basin.Operators;

/// <summary>
/// The memory operators may hold in cached graphs when their data is streamed in several batches, shared by every
/// operator of the process: an operator reserves what its graphs will take before it keeps them, and frees it when disposed.
/// </summary>
/// <remarks>
/// A cached graph of one batch holds the forward activations and the first backward's graph: glibc's heap in use after
/// the first cached Hessian product was 1.2–2.0 times the bytes of every layer's output per sample (LeNet-5, cnn6,
/// ResNet-20: <c>Basin.Benchmarks --memory</c>), while the product's own passing tensors raised the process's peak to
/// 7.7–10.3 times once (<see cref="ReservationBytes"/> counts what is kept for every sample and what passes for one batch). Graphs whose convolutions run as GEMMs
/// (<see cref="GemmConvolutions"/>) also keep every convolution's unfolded patches, counted with the activations: 1.0–1.2
/// times activations and patches were kept, and the peak was 3.2–5.2 times them.
/// The budget is a third of the memory the kernel reports available (<c>MemAvailable</c>) when first asked, or 2 GiB
/// where that cannot be read, or <c>BASIN_GRAPH_MEMORY</c> MiB when set (0: stream every product); on a GPU, whose free memory TorchSharp does not report, one reservation may not exceed
/// 2 GiB either.
/// </remarks>
public static class GraphMemory
{
    /// <summary>
    /// The bytes a reservation counts for graphs kept for <paramref name="samples"/> samples, streamed in batches of <paramref name="batch"/>,
    /// whose layers' outputs (with the patches, in the GEMM form) take <paramref name="perSample"/> bytes a sample: what the kept graphs hold
    /// for every sample, and what one batch's product passes through at once — 1.2 and 5.2 times them in the GEMM form, 2 and 10
    /// in libtorch's (the largest of the measurements in the remarks). The passing part is one batch's, not every sample's: a
    /// LeNet-5 on 10 000 samples in batches of 4 096 fits GEMM-form graphs in 6.5 GB, which 6 times every sample had put at 11.8.
    /// </summary>
    public static long ReservationBytes(long perSample, long samples, long batch, bool gemm) =>
        (long)(perSample * ((gemm ? 1.2 : 2.0) * samples + (gemm ? 5.2 : 10.0) * Math.Min(samples, batch)));

    private static readonly Lazy<long> SystemBudget = new(ReadBudget);
    private static long reserved;

    [ThreadStatic]
    private static long? budgetOverride;

    [ThreadStatic]
    private static long threadReserved;

    /// <summary>What is reserved: process-wide, or on this thread alone while a test has set its own budget.</summary>
    private static ref long Reserved => ref budgetOverride is null ? ref reserved : ref threadReserved;

    /// <summary>The budget in bytes.</summary>
    public static long Budget => budgetOverride ?? SystemBudget.Value;

    /// <summary>A budget for this thread alone, with its own count of what is reserved, for a test (0: never cache more than one batch); null for the process's.</summary>
    internal static long? ThreadBudget
    {
        get => budgetOverride;
        set => budgetOverride = value;
    }

    /// <summary>The most one reservation for a GPU may hold.</summary>
    internal const long GpuReservationLimit = 2L << 30;

    /// <summary>Reserves <paramref name="bytes"/> for graphs on <paramref name="device"/> if they fit in what is left of the budget.</summary>
    internal static bool TryReserve(long bytes, Device device)
    {
        if (bytes <= 0 || (device.type != TorchSharp.DeviceType.CPU && bytes > GpuReservationLimit)) return false;
        long budget = Budget;
        while (true)
        {
            long now = Interlocked.Read(ref Reserved);
            if (now + bytes > budget) return false;
            if (Interlocked.CompareExchange(ref Reserved, now + bytes, now) == now) return true;
        }
    }

    /// <summary>Returns a reservation.</summary>
    internal static void Release(long bytes) => Interlocked.Add(ref Reserved, -bytes);

    /// <summary>
    /// The bytes of every leaf layer's output for one sample of <paramref name="data"/>, and of the unfolded patches of
    /// every convolution that <see cref="GemmConvolutions"/> can run as a GEMM, from one forward pass with hooks; null when
    /// the layers cannot be seen (a TorchScript model) or none produced an output.
    /// </summary>
    internal static (long Activations, long Unfolded)? GraphBytesPerSample(Model model, CurvatureData data, Device device, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var leaves = model.Module.modules().Where(m => !m.children().Any()).OfType<nn.Module<Tensor, Tensor>>().ToArray();
        if (leaves.Length == 0) return null;
        long activations = 0, unfolded = 0;
        var removers = new List<Action>();
        try
        {
            foreach (var leaf in leaves)
                removers.Add(leaf.register_forward_hook((m, _, output) =>
                {
                    activations += output.numel() * output.element_size();
                    if (m is TorchSharp.Modules.Conv2d conv && GemmConvolutions.Supports(conv)) unfolded += GemmConvolutions.UnfoldedBytesPerSample(conv, output);
                    return output;
                }).remove);
            var batch = data.BatchAt(0, device, dtype);
            using var noGrad = no_grad();
            model.Module.forward(batch.Inputs.narrow(0, 0, 1));
        }
        catch (NotSupportedException)
        {
            return null;
        }
        finally
        {
            foreach (var remove in removers) remove();
        }
        return activations > 0 ? (activations, unfolded) : null;
    }

    private static long ReadBudget()
    {
        const long fallback = 2L << 30;
        if (Environment.GetEnvironmentVariable("BASIN_GRAPH_MEMORY") is { } text)
            return long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long mib) && mib <= 1L << 30
                ? mib << 20
                : throw new ArgumentException($"BASIN_GRAPH_MEMORY must be a whole number of MiB (0 to stream every product), got '{text}'");
        return Native.MachineMemory.AvailableBytes() is { } available ? available / 3 : fallback;
    }
}
