using Basin.Models;
using static TorchSharp.torch;

namespace Basin.Operators;

/// <summary>
/// The Hessian <c>H = ∇²L(w)</c> of the mean loss, by Pearlmutter's double backward: <c>Hv = ∇(∇L · v)</c>.
/// </summary>
/// <remarks>
/// For an operator bound to one batch (or to streamed batches whose graphs fit in memory), the first backward graph (the
/// gradient with its graph) of each batch is built once and reused across products, so each product costs one backward
/// pass through it; its convolutions run as GEMMs where that is faster (<see cref="GemmConvolutions"/>).
/// </remarks>
public sealed class HessianOperator : CurvatureOperator
{
    private readonly Dictionary<long, Tensor[]> cachedGradients = [];

    /// <summary>The Hessian of <paramref name="model"/>'s loss on <paramref name="data"/>.</summary>
    public HessianOperator(Model model, CurvatureData data, OperatorOptions? options = null) : base(model, data, options)
    {
    }

    /// <inheritdoc />
    protected override Tensor[] BatchProduct(Batch batch, Tensor[] v, long index)
    {
        Tensor[] gradient;
        if (Caches)
        {
            if (!cachedGradients.TryGetValue(index, out gradient!))
                cachedGradients[index] = gradient = FirstBackward(batch).Select(g => g.DetachFromDisposeScope()).ToArray();
        }
        else gradient = FirstBackward(batch);
        return Grad(Dot(gradient, v), Parameters, retainGraph: Caches);
    }

    private Tensor[] FirstBackward(Batch batch)
    {
        var output = GraphForward(batch.Inputs);
        var loss = Losses.PerSample(Model.Loss, output, batch.Labels).mean();
        return Grad(loss, Parameters, createGraph: true);
    }

    /// <inheritdoc />
    protected override void ResetCache()
    {
        foreach (var g in cachedGradients.Values.SelectMany(g => g)) g.Dispose();
        cachedGradients.Clear();
    }
}
