using static TorchSharp.torch;

namespace Basin.Operators;

/// <summary>
/// Sets a model's parameters to other values for a while and puts back, when disposed (also after an
/// exception), the values they held when the scope was opened. The one place Basin perturbs weights in
/// place: perturbed metrics, finite differences and loss landscapes all go through it.
/// </summary>
/// <remarks>
/// The values to restore are copied on entry, never read lazily afterwards: a perturbation cannot
/// become the "original" however the caller interleaves reads.
/// </remarks>
public sealed class WeightSwap : IDisposable
{
    private readonly Tensor[] parameters;
    private readonly Tensor saved;
    private bool disposed;

    /// <summary>Opens a scope over <paramref name="parameters"/>, saving their current values.</summary>
    public WeightSwap(IEnumerable<Tensor> parameters)
    {
        this.parameters = parameters.ToArray();
        using var scope = NewDisposeScope();
        saved = ParameterSelection.Flatten(this.parameters.Select(p => p.detach())).DetachFromDisposeScope();
    }

    /// <summary>The values saved on entry, flat [P] (owned by the scope).</summary>
    public Tensor Original => saved;

    /// <summary>Sets the parameters to the flat vector <paramref name="flat"/> [P].</summary>
    public void Set(Tensor flat)
    {
        if (flat.numel() != saved.numel()) throw new ArgumentException($"a weight vector of {flat.numel()} entries for {saved.numel()} parameters");
        using var scope = NewDisposeScope();
        Copy(ParameterSelection.Split(flat, parameters));
    }

    /// <summary>Sets the parameters to <paramref name="values"/>, one tensor per parameter.</summary>
    public void Set(IReadOnlyList<Tensor> values)
    {
        if (values.Count != parameters.Length) throw new ArgumentException($"{values.Count} values for {parameters.Length} parameters");
        Copy(values);
    }

    /// <summary>
    /// Counts every in-place write of a swap (set and restore). Restoring puts back the same values but new tensor
    /// versions, so a graph cached before the swap is stale even though the weights compare equal.
    /// </summary>
    public static long Generation => Interlocked.Read(ref generation);

    private static long generation;

    private void Copy(IReadOnlyList<Tensor> values)
    {
        Interlocked.Increment(ref generation);
        using var noGrad = no_grad();
        for (int i = 0; i < parameters.Length; i++) parameters[i].copy_(values[i]);
    }

    /// <summary>Restores the saved values.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        Set(saved);
        saved.Dispose();
    }
}
