using Basin.Models;
using static TorchSharp.torch;

namespace Basin.Operators;

/// <summary>
/// The generalized Gauss-Newton matrix <c>G = (1/N) Σ J_iᵀ Λ_i J_i</c>, <c>J_i = ∂f(x_i)/∂w</c>, <c>Λ_i</c> the
/// Hessian of the loss in the outputs: <c>diag(p) − ppᵀ</c> for softmax cross-entropy, <c>I</c> for the
/// squared error, <c>exp(−s f)</c> for the exponential loss. Always positive semi-definite.
/// </summary>
/// <remarks>
/// TorchSharp has no forward mode, so <c>Jv</c> comes from the double-backward trick: with a dummy
/// <c>u</c>, <c>Jᵀu = ∂(f·u)/∂w</c> is linear in u, and <c>Jv = ∂((Jᵀu)·v)/∂u</c>. Then
/// <c>JᵀΛJv = ∂(f · ΛJv)/∂w</c>. The graphs of f and Jᵀu of each batch are built once and reused when the operator caches (see <see cref="CurvatureOperator"/>).
/// Where the model has convolutions, the batched per-sample method applies (linear and convolution layers, batch norm in eval mode)
/// and memory allows, a cached batch is kept instead as its factored per-sample Jacobians: with <c>Λ_i = Σ_c s_ic s_icᵀ</c> (<see cref="OutputHessian.Factors"/>),
/// <c>G = (1/N) Σ_i Σ_c g_ic g_icᵀ</c> for the gradients g_ic = J_iᵀ s_ic of the pseudo-losses f_i · s_ic, and <c>Gv = (1/N) Jᵀ(J v)</c>
/// over the N·C rows (<see cref="PerSampleFactors"/>, the GGN as BackPACK's factored form gives it, or a layer's per-sample gradients where
/// they are fewer values): two matrix products per layer, at most about one gradient's work, and no backward pass; a block of k vectors
/// shares one pass (<see cref="CurvatureOperator.ApplyBlock"/>).
/// </remarks>
public sealed class GgnOperator : CurvatureOperator
{
    [ThreadStatic]
    private static bool? factored;

    /// <summary>Whether cached batches are kept as factored per-sample Jacobians where they can be (else the graphs); a test turns it off on its own thread.</summary>
    internal static bool Factored
    {
        get => factored ?? Setting.Value;
        set => factored = value;
    }

    private static readonly Lazy<bool> Setting = new(() => ParseSetting(Environment.GetEnvironmentVariable("BASIN_GGN_FACTORED")));

    /// <summary>Reads <c>BASIN_GGN_FACTORED</c>: unset or on, or off (the graphs: the factors hold about twice their memory, LeNet-5 at 2 048: 844 against 396 MB).</summary>
    internal static bool ParseSetting(string? text) => text switch
    {
        null or "" or "on" => true,
        "off" => false,
        _ => throw new ArgumentException($"BASIN_GGN_FACTORED must be 'on' or 'off', got '{text}'"),
    };

    private readonly Dictionary<long, (Tensor Output, Tensor Dummy, Tensor[] JtU)> cache = [];
    private readonly Dictionary<long, PerSampleFactors?> factors = [];
    private long factorBytes;

    /// <summary>The batches whose products come from factored Jacobians (for tests).</summary>
    internal int FactoredBatches => factors.Values.Count(f => f is not null);

    /// <summary>The GGN of <paramref name="model"/>'s loss on <paramref name="data"/>.</summary>
    public GgnOperator(Model model, CurvatureData data, OperatorOptions? options = null) : base(model, data, options)
    {
    }

    /// <inheritdoc />
    protected override Tensor[] BatchProduct(Batch batch, Tensor[] v, long index)
    {
        if (Caches && Factored && FactorsOf(batch, index) is { } f)
        {
            using var projected = f.Project(v);
            return f.Combine(projected.div_(batch.Count), Parameters);
        }
        var (output, dummy, jtu) = !Caches ? Graphs(batch) : cache.TryGetValue(index, out var kept) ? kept : cache[index] = Detached(Graphs(batch));
        var jv = Grad(Dot(jtu, v), [dummy], retainGraph: true)[0];
        var lambdaJv = OutputHessian.Times(Model.Loss, output.detach(), batch.Labels, jv).div(batch.Count);
        return Grad(output, Parameters, retainGraph: Caches, gradOutput: lambdaJv);
    }

    /// <inheritdoc />
    /// <remarks>Where a batch is kept as factored Jacobians, one pass over them serves the k vectors (<see cref="PerSampleFactors.ProjectBlock"/>).</remarks>
    protected override Tensor[] BatchBlockProduct(Batch batch, Tensor[] v, long index)
    {
        if (!(Caches && Factored && FactorsOf(batch, index) is { } f)) return base.BatchBlockProduct(batch, v, index);
        using var projected = f.ProjectBlock(v, v[0].shape[0]);
        return f.CombineBlock(projected.div_(batch.Count), Parameters);
    }

    /// <inheritdoc />
    /// <remarks>True where the model's convolutions make its cached batches factored (<see cref="Factored"/>; batch norm in eval mode).</remarks>
    public override bool SharesBlocks => Factored && !Options.TrainModeBatchNorm && HasConvolutions();

    private bool HasConvolutions() => PerSampleHooks.Owners(Model, NamedParameters) is { } owners && owners.Any(o => o.Module is TorchSharp.Modules.Conv2d);

    /// <summary>
    /// The batch's factored Jacobians, made on its first product; null (graphs instead) where the batched method does not apply or
    /// their bytes — C output gradients and one input per layer and sample, counted as (C + 1) × the activations and the patches,
    /// for every sample — exceed what the graphs reserved and the budget has left.
    /// </summary>
    private PerSampleFactors? FactorsOf(Batch batch, long index)
    {
        if (factors.TryGetValue(index, out var kept)) return kept;
        if (factors.Count == 0 && !ReserveFactors()) return factors[index] = null;
        if (factorBytes < 0) return factors[index] = null;
        using var scope = NewDisposeScope();
        return factors[index] = PerSampleFactors.TryCreate(Model, NamedParameters, batch.Inputs, batch.Labels, (f, y) => GgnDiagonal.PseudoLosses(Model, f, y));
    }

    private bool ReserveFactors()
    {
        factorBytes = -1;
        // Only where convolutions are: a linear layer's graph product is GEMMs already, and the factored one was no faster there
        // (MLP 784-256-256-10 at 2 048 samples: 35 ms both, and 0.63 s against 0.14 s to build); LeNet-5's: 185 against 265 ms.
        if (!HasConvolutions() || GraphMemory.GraphBytesPerSample(Model, Data, Device, DType) is not { } perSample) return false;
        long needed = ((Model.Outputs + 1) * perSample.Activations + perSample.Unfolded) * Data.Count - ReservedBytes;
        if (needed > 0 && !GraphMemory.TryReserve(needed, Device)) return false;
        factorBytes = Math.Max(0, needed);
        return true;
    }

    private (Tensor, Tensor, Tensor[]) Graphs(Batch batch)
    {
        var output = GraphForward(batch.Inputs);
        var dummy = zeros_like(output).requires_grad_(true);
        var jtu = Grad(output, Parameters, createGraph: true, gradOutput: dummy);
        return (output, dummy, jtu);
    }

    private static (Tensor, Tensor, Tensor[]) Detached((Tensor Output, Tensor Dummy, Tensor[] JtU) g) =>
        (g.Output.DetachFromDisposeScope(), g.Dummy.DetachFromDisposeScope(), g.JtU.Select(t => t.DetachFromDisposeScope()).ToArray());

    /// <inheritdoc />
    protected override void ResetCache()
    {
        foreach (var c in cache.Values)
        {
            c.Output.Dispose();
            c.Dummy.Dispose();
            foreach (var t in c.JtU) t.Dispose();
        }
        cache.Clear();
        foreach (var f in factors.Values) f?.Dispose();
        factors.Clear();
        if (factorBytes > 0) GraphMemory.Release(factorBytes);
        factorBytes = 0;
    }
}
