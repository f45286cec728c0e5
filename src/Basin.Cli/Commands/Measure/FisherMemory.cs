using Basin.Cli.Infrastructure;
using Basin.Metrics;
using Basin.Native;

namespace Basin.Cli.Commands.Measure;

/// <summary>
/// What the Fisher metrics will hold, said before it is spent: one subset's N′ × P per-sample gradients (the loop writes
/// them into one matrix; the batched method briefly holds its per-layer pieces beside it) and three P-vectors (the
/// parameters' gradient and the float64 blocks), on top of what the process holds already. A run that would pass
/// <c>--max-memory</c>, or ask for more than 80% of what the kernel has available, stops in one line instead of meeting
/// the OOM killer.
/// </summary>
internal static class FisherMemory
{
    /// <summary>Writes the preview line to <paramref name="error"/>; throws <see cref="UsageException"/> when it would not fit.</summary>
    public static void Check(TextWriter error, Basin.Models.Model model, MetricContext context, MeasureSettings settings)
    {
        var dtype = model.Module.parameters().First().dtype;
        long gradients = FisherSubsets.Bytes(settings.FisherSubsetSize, context.P, dtype);
        long added = (Basin.Operators.PerSampleGradients.Loops(model, context.Parameters) ? gradients : 2 * gradients) + FisherSubsets.Bytes(3, context.P, dtype);
        long held = Environment.WorkingSet, peak = held + added;
        long? available = MachineMemory.AvailableBytes();
        error.WriteLine($"memory: the Fisher metrics add about {MachineMemory.Format(added)} ({settings.FisherSubsetSize} per-sample gradients of {context.P:N0} parameters) "
            + $"to the {MachineMemory.Format(held)} this process holds: about {MachineMemory.Format(peak)} at the peak"
            + (MachineMemory.Limit is { } limit ? $" ({MachineMemory.Format(limit)} allowed)" : available is { } a ? $" ({MachineMemory.Format(a)} more available)" : ""));
        if (MachineMemory.Limit is { } cap && peak > cap)
            throw new UsageException($"the Fisher metrics would bring this process to about {MachineMemory.Format(peak)}, more than the {MachineMemory.Format(cap)} --max-memory allows: leave them out (--metrics) or allow more");
        if (available is { } free && added > 0.8 * free)
            throw new UsageException($"the Fisher metrics would need about {MachineMemory.Format(added)} more, and the machine has {MachineMemory.Format(free)} available: leave them out (--metrics) or measure on a larger machine");
    }
}
