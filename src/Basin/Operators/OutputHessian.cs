using Basin.Models;
using static TorchSharp.torch;

namespace Basin.Operators;

/// <summary>
/// The Hessian <c>Λ</c> of a loss in the network's outputs, applied per sample: <c>diag(p) − ppᵀ</c> for
/// softmax cross-entropy, <c>I</c> for the squared error, <c>exp(−s f)</c> for the exponential loss.
/// </summary>
/// <remarks>
/// Written with differentiable tensor operations, so that a caller who keeps <c>f</c> in the graph (the
/// trace-of-GGN penalty) can differentiate <c>zᵀΛz</c> in the weights; the GGN product passes <c>f</c> detached.
/// </remarks>
public static class OutputHessian
{
    /// <summary><c>Λ_i z_i</c> for every sample i, with <paramref name="f"/> the outputs [B, K] and <paramref name="z"/> [B, K].</summary>
    /// <exception cref="NotSupportedException">The loss has no positive semi-definite output Hessian in Basin.</exception>
    public static Tensor Times(LossKind loss, Tensor f, Tensor labels, Tensor z) => loss switch
    {
        LossKind.CrossEntropy => Softmax(f, z),
        LossKind.MeanSquaredError => z,
        LossKind.Exponential => z * exp(-(labels.to_type(f.dtype) * 2 - 1) * f.squeeze(1)).unsqueeze(1),
        _ => throw new NotSupportedException($"no Gauss-Newton output Hessian for loss {loss}"),
    };

    private static Tensor Softmax(Tensor f, Tensor z)
    {
        var p = nn.functional.softmax(f, 1);
        return p * z - p * (p * z).sum(1, keepdim: true);
    }
}
