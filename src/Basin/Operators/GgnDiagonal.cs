using Basin.Models;
using static TorchSharp.torch;

namespace Basin.Operators;

/// <summary>
/// The exact diagonal of the generalized Gauss-Newton matrix, <c>diag G = (1/N) Σ_i Σ_c (J_iᵀ s_ic)²</c> with
/// <c>Λ_i = Σ_c s_ic s_icᵀ</c> (<see cref="OutputHessian.Factors"/>): for each factor column c, the per-sample
/// gradients of the pseudo-loss <c>f_i · s_ic</c> (s detached), squared and summed — C passes over the data
/// (BackPACK's DiagGGN; for linear layers <c>(δ ⊙ δ)ᵀ(a ⊙ a)</c>, no per-sample matrix). Non-negative by
/// construction, unlike a stochastic Hessian diagonal.
/// </summary>
public static class GgnDiagonal
{
    /// <summary>The diagonal [P] of the GGN of <paramref name="op"/>'s model, loss and data, in chunks of <paramref name="chunk"/> samples; and the passes spent (one per factor column per sample).</summary>
    /// <exception cref="NotSupportedException">The model's loss has no Gauss-Newton output Hessian.</exception>
    public static (Tensor Values, long Passes) Compute(CurvatureOperator op, int chunk = 512)
    {
        using var scope = NewDisposeScope();
        var model = op.Model;
        var named = op.NamedParameters;
        var sum = zeros(op.Dimension, ScalarType.Float64, op.Device);
        long passes = 0;
        foreach (var batch in op.Data.Batches(op.Device, op.DType))
        {
            for (long start = 0; start < batch.Count; start += chunk)
            {
                using var inner = NewDisposeScope();
                long n = Math.Min(chunk, batch.Count - start);
                var x = batch.Inputs.narrow(0, start, n);
                var y = batch.Labels.narrow(0, start, n);
                long columns;
                using (no_grad()) columns = OutputHessian.Factors(model.Loss, model.Module.forward(x.narrow(0, 0, 1)), y.narrow(0, 0, 1)).shape[1];
                // The C pseudo-losses f_i · s_ic as the columns of one [n, C] loss: one forward pass, C backward passes.
                var (squares, _) = PerSampleGradients.SquaredSum(model, named, x, y, (f, labels) => PseudoLosses(model, f, labels));
                sum.add_(squares.to(ScalarType.Float64));
                passes += n * columns;
            }
        }
        return (sum.div_(op.Data.Count).to(op.DType).MoveToOuterDisposeScope(), passes);
    }

    /// <summary>The pseudo-losses <c>f_i · s_ic</c> [b, C] of outputs <paramref name="f"/> [b, K] (s detached): their per-sample gradients are <c>J_iᵀ s_ic</c>.</summary>
    public static Tensor PseudoLosses(Model model, Tensor f, Tensor labels) => f.unsqueeze(1).mul(OutputHessian.Factors(model.Loss, f.detach(), labels)).sum(2);
}
