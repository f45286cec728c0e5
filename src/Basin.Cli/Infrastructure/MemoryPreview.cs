using Basin.Metrics;
using Basin.Native;

namespace Basin.Cli.Infrastructure;

/// <summary>
/// What the measurement will hold, said before it is spent: the shared input that holds the most while it is computed (a
/// Lanczos or SLQ basis, one Fisher subset's per-sample gradients; <see cref="MetricInput.Memory"/>) on top of what the process
/// holds already — inputs are computed one at a time, and the operators' kept graphs have a budget of their own
/// (<c>BASIN_GRAPH_MEMORY</c>). A run that would pass <c>--max-memory</c>, or ask for more than 80% of what the kernel has
/// available, stops in one line instead of meeting the OOM killer. Commands check quietly before they time a product and say
/// the line after, from the most the process has held so far, which then includes the graph the timed product kept and its
/// passing tensors (LeNet-5's <c>spectrum</c> at 2 048 samples: said 1.44 GB before the product, peaked at 4.03 GB).
/// </summary>
internal static class MemoryPreview
{
    /// <summary>Writes the preview line to <paramref name="error"/> (none: checks only); throws <see cref="UsageException"/> when it would not fit.</summary>
    public static void Check(TextWriter? error, MeasurementPlan plan, MetricContext context)
    {
        var dtype = context.Model.Module.parameters().First().dtype;
        var shape = new ModelShape(context.P, Basin.Estimators.Lanczos.ValueBytes(dtype), Basin.Operators.PerSampleGradients.Loops(context.Model, context.Parameters));
        if (plan.LargestMemory(shape) is var (input, added)) Check(error, input.Name, added);
    }

    /// <summary>The same for a run whose largest holding, <paramref name="what"/>, adds <paramref name="added"/> bytes (a spectrum's Lanczos basis).</summary>
    public static void Check(TextWriter? error, string what, long added)
    {
        // The most the process has held so far (the kernel's high-water mark): a timed product's graph, freed or not since.
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        long held = Math.Max(Environment.WorkingSet, self.PeakWorkingSet64), peak = held + added;
        long? available = MachineMemory.AvailableBytes();
        error?.WriteLine($"memory: the largest input, {what}, adds about {MachineMemory.Format(added)} to the {MachineMemory.Format(held)} this process has held so far: about {MachineMemory.Format(peak)} at the peak"
            + (MachineMemory.Limit is { } limit ? $" ({MachineMemory.Format(limit)} allowed)" : available is { } a ? $" ({MachineMemory.Format(a)} more available)" : ""));
        if (MachineMemory.Limit is { } cap && peak > cap)
            throw new UsageException($"{what} would bring this process to about {MachineMemory.Format(peak)}, more than the {MachineMemory.Format(cap)} --max-memory allows: leave its metrics out (--metrics) or allow more");
        if (available is { } free && added > 0.8 * free)
            throw new UsageException($"{what} would need about {MachineMemory.Format(added)} more, and the machine has {MachineMemory.Format(free)} available: leave its metrics out (--metrics) or measure on a larger machine");
    }
}
