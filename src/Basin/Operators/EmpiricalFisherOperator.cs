using Basin.Models;
using static TorchSharp.torch;

namespace Basin.Operators;

/// <summary>Which labels the Fisher's per-sample gradients use.</summary>
public enum FisherLabels
{
    /// <summary>The true labels: the empirical (observed) Fisher of seed 001 eq. 2.</summary>
    True,

    /// <summary>Labels drawn from the model's own prediction <c>p_w(x)</c>: a Monte-Carlo estimate of the true Fisher.</summary>
    Sampled,
}

/// <summary>
/// The empirical Fisher <c>F = (1/N) Σ g_i g_iᵀ</c>, g_i the per-sample gradients: <c>Fv = (1/N) Σ g_i (g_iᵀ v)</c>.
/// With <see cref="FisherLabels.Sampled"/> the labels are drawn once per batch from the model (seeded),
/// which gives an unbiased estimate of the true Fisher.
/// </summary>
/// <remarks>
/// When the operator caches (one batch, or streamed batches whose graphs fit in memory: see <see cref="CurvatureOperator"/>)
/// the N × P matrix of per-sample gradients (<see cref="PerSampleGradients"/>) is computed once, batch by batch, and reused,
/// when it has at most 2²⁶ entries. Larger, the per-sample gradients are kept factored where the batched method applies
/// (<see cref="PerSampleFactors"/>: each layer's input and output gradient) and <c>Fv = (1/N) Jᵀ(J v)</c> costs two forward passes'
/// worth of matrix products (a ResNet-18 at 256 samples: 3.5 s a product by the graphs below). Otherwise
/// <c>Fv = (1/N) J_ℓᵀ(J_ℓ v)</c> is formed with J_ℓ the Jacobian of the
/// per-sample losses ℓ, by the double-backward trick of <see cref="GgnOperator"/>: with a dummy u,
/// <c>J_ℓᵀu = ∂(ℓ·u)/∂w</c>, <c>J_ℓv = ∂((J_ℓᵀu)·v)/∂u</c> (the B numbers g_iᵀv), then
/// <c>J_ℓᵀ(J_ℓv) = ∂(ℓ · J_ℓv)/∂w</c> — the cost of a GGN product.
/// </remarks>
public sealed class EmpiricalFisherOperator : CurvatureOperator
{
    [ThreadStatic]
    private static long? maxCachedElements;

    /// <summary>The largest per-sample gradient matrix (N·P entries, 64 Mi: 256 MiB in float32) kept for repeated products; a test lowers it on its own thread.</summary>
    internal static long MaxCachedElements
    {
        get => maxCachedElements ?? 1L << 26;
        set => maxCachedElements = value;
    }

    [ThreadStatic]
    private static bool? factored;

    /// <summary>Whether a batch too large for its per-sample matrix keeps it factored where it can (else the Jacobian graphs); a test turns it off on its own thread.</summary>
    internal static bool Factored
    {
        get => factored ?? true;
        set => factored = value;
    }

    private readonly FisherLabels labels;
    private readonly int seed;
    private readonly Dictionary<long, Tensor> cachedGradients = [];
    private readonly Dictionary<long, (Tensor Losses, Tensor Dummy, Tensor[] JtU)> cachedGraphs = [];
    private readonly Dictionary<long, PerSampleFactors?> cachedFactors = [];

    /// <summary>The Fisher of <paramref name="model"/> on <paramref name="data"/>.</summary>
    public EmpiricalFisherOperator(Model model, CurvatureData data, OperatorOptions? options = null, FisherLabels labels = FisherLabels.True, int seed = 0)
        : base(model, data, options)
    {
        if (model.Loss != LossKind.CrossEntropy && labels == FisherLabels.Sampled)
            throw new ArgumentException("sampled-label Fisher needs a softmax cross-entropy model");
        this.labels = labels;
        this.seed = seed;
    }

    /// <summary>The method the per-sample gradients were computed with, after the first product.</summary>
    public PerSampleMethod? Method { get; private set; }

    /// <inheritdoc />
    protected override Tensor[] BatchProduct(Batch batch, Tensor[] v, long index)
    {
        if (!Caches) return JacobianProduct(Graphs(batch, Labels(batch, index)), v, batch.Count, retain: false);
        if (Data.Count * Dimension > MaxCachedElements)
        {
            if (!cachedFactors.TryGetValue(index, out var factors)) cachedFactors[index] = factors = Factored ? Factors(batch, Labels(batch, index)) : null;
            if (factors is not null)
            {
                using var jv = factors.Project(v);
                return factors.Combine(jv.div_(batch.Count), Parameters);
            }
            if (!cachedGraphs.TryGetValue(index, out var graphs)) cachedGraphs[index] = graphs = Detached(Graphs(batch, Labels(batch, index)));
            return JacobianProduct(graphs, v, batch.Count, retain: true);
        }
        if (!cachedGradients.TryGetValue(index, out var g)) cachedGradients[index] = g = PerSample(batch, Labels(batch, index)).DetachFromDisposeScope();
        var flat = ParameterSelection.Flatten(v);
        var product = g.t().mv(g.mv(flat)).div(batch.Count);
        return ParameterSelection.Split(product, Parameters);
    }

    /// <inheritdoc />
    /// <remarks>A cached batch's per-sample gradients, as a matrix or factored, serve the k vectors in one pass.</remarks>
    protected override Tensor[] BatchBlockProduct(Batch batch, Tensor[] v, long index)
    {
        if (!Caches) return base.BatchBlockProduct(batch, v, index);
        long k = v[0].shape[0];
        if (Data.Count * Dimension > MaxCachedElements)
        {
            if (!cachedFactors.TryGetValue(index, out var factors)) cachedFactors[index] = factors = Factored ? Factors(batch, Labels(batch, index)) : null;
            if (factors is null) return base.BatchBlockProduct(batch, v, index);
            using var jv = factors.ProjectBlock(v, k);
            return factors.CombineBlock(jv.div_(batch.Count), Parameters);
        }
        if (!cachedGradients.TryGetValue(index, out var g)) cachedGradients[index] = g = PerSample(batch, Labels(batch, index)).DetachFromDisposeScope();
        var flat = cat(v.Select(p => p.reshape(k, -1)).ToArray(), 1);
        var product = flat.mm(g.t()).mm(g).div(batch.Count);
        return ParameterSelection.SplitRows(product, Parameters);
    }

    /// <inheritdoc />
    /// <remarks>True with batch norm in eval mode: cached batches keep their per-sample gradients (a matrix, or factored).</remarks>
    public override bool SharesBlocks => !Options.TrainModeBatchNorm;

    private (Tensor, Tensor, Tensor[]) Graphs(Batch batch, Tensor y)
    {
        var losses = Losses.PerSample(Model.Loss, Model.Module.forward(batch.Inputs), y);
        var dummy = zeros_like(losses).requires_grad_(true);
        return (losses, dummy, Grad(losses, Parameters, createGraph: true, gradOutput: dummy));
    }

    private Tensor[] JacobianProduct((Tensor Losses, Tensor Dummy, Tensor[] JtU) g, Tensor[] v, long count, bool retain)
    {
        var jv = Grad(Dot(g.JtU, v), [g.Dummy], retainGraph: true)[0];
        return Grad(g.Losses, Parameters, retainGraph: retain, gradOutput: jv.detach().div(count));
    }

    private static (Tensor, Tensor, Tensor[]) Detached((Tensor Losses, Tensor Dummy, Tensor[] JtU) g) =>
        (g.Losses.DetachFromDisposeScope(), g.Dummy.DetachFromDisposeScope(), g.JtU.Select(t => t.DetachFromDisposeScope()).ToArray());

    private Tensor Labels(Batch batch, long index)
    {
        if (labels != FisherLabels.Sampled) return batch.Labels;
        using var noGrad = no_grad();
        using var generator = new Generator((ulong)(seed * 1_000_003L + index));
        var p = nn.functional.softmax(Model.Module.forward(batch.Inputs), 1).cpu();
        return multinomial(p, 1, generator: generator).squeeze(1).to(batch.Labels.device);
    }

    private PerSampleFactors? Factors(Batch batch, Tensor y)
    {
        var factors = PerSampleFactors.TryCreate(Model, NamedParameters, batch.Inputs, y);
        if (factors is not null) Method = PerSampleMethod.Batched;
        return factors;
    }

    private Tensor PerSample(Batch batch, Tensor y)
    {
        var (gradients, method) = PerSampleGradients.Compute(Model, NamedParameters, batch.Inputs, y);
        Method = method;
        return gradients;
    }

    /// <inheritdoc />
    protected override void ResetCache()
    {
        foreach (var g in cachedGradients.Values) g.Dispose();
        cachedGradients.Clear();
        foreach (var c in cachedGraphs.Values)
        {
            c.Losses.Dispose();
            c.Dummy.Dispose();
            foreach (var t in c.JtU) t.Dispose();
        }
        cachedGraphs.Clear();
        foreach (var f in cachedFactors.Values) f?.Dispose();
        cachedFactors.Clear();
    }
}
