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
/// </remarks>
public sealed class GgnOperator : CurvatureOperator
{
    private readonly Dictionary<long, (Tensor Output, Tensor Dummy, Tensor[] JtU)> cache = [];

    /// <summary>The GGN of <paramref name="model"/>'s loss on <paramref name="data"/>.</summary>
    public GgnOperator(Model model, CurvatureData data, OperatorOptions? options = null) : base(model, data, options)
    {
    }

    /// <inheritdoc />
    protected override Tensor[] BatchProduct(Batch batch, Tensor[] v, long index)
    {
        var (output, dummy, jtu) = !Caches ? Graphs(batch) : cache.TryGetValue(index, out var kept) ? kept : cache[index] = Detached(Graphs(batch));
        var jv = Grad(Dot(jtu, v), [dummy], retainGraph: true)[0];
        var lambdaJv = OutputHessian.Times(Model.Loss, output.detach(), batch.Labels, jv).div(batch.Count);
        return Grad(output, Parameters, retainGraph: Caches, gradOutput: lambdaJv);
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
    }
}
