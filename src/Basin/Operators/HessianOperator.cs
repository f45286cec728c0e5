using Basin.Models;
using static TorchSharp.torch;

namespace Basin.Operators;

/// <summary>
/// The Hessian <c>H = ∇²L(w)</c> of the mean loss, by Pearlmutter's double backward: <c>Hv = ∇(∇L · v)</c>.
/// </summary>
/// <remarks>
/// For an operator bound to one batch, the first backward graph (the gradient with its graph) is built
/// once and reused across products, so each product costs one backward pass through that graph.
/// </remarks>
public sealed class HessianOperator : CurvatureOperator
{
    private Tensor[]? cachedGradient;

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
            cachedGradient ??= FirstBackward(batch).Select(g => g.DetachFromDisposeScope()).ToArray();
            gradient = cachedGradient;
        }
        else gradient = FirstBackward(batch);
        return Grad(Dot(gradient, v), Parameters, retainGraph: Caches);
    }

    private Tensor[] FirstBackward(Batch batch)
    {
        var loss = Losses.PerSample(Model.Loss, Model.Module.forward(batch.Inputs), batch.Labels).mean();
        return Grad(loss, Parameters, createGraph: true);
    }

    /// <inheritdoc />
    protected override void ResetCache()
    {
        if (cachedGradient is not null) foreach (var g in cachedGradient) g.Dispose();
        cachedGradient = null;
    }
}
