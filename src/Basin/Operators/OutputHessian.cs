using Basin.Models;
using TorchSharp;
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

    /// <summary>
    /// Factors <c>S_i</c> [B, C, K] with <c>Λ_i = Σ_c s_ic s_icᵀ</c>: <c>s_c = √p_c (e_c − p)</c> for softmax
    /// cross-entropy (C = K; <c>Σ_c p_c (e_c − p)(e_c − p)ᵀ = diag(p) − ppᵀ</c>), the unit vectors for the squared
    /// error, <c>√ℓ</c> for the exponential loss (C = 1). Then <c>diag G = (1/N) Σ_i Σ_c (J_iᵀ s_ic)²</c> exactly.
    /// </summary>
    /// <exception cref="NotSupportedException">The loss has no Gauss-Newton output Hessian in Basin.</exception>
    public static Tensor Factors(LossKind loss, Tensor f, Tensor labels)
    {
        long b = f.shape[0], k = f.shape[1];
        switch (loss)
        {
            case LossKind.CrossEntropy:
                var p = nn.functional.softmax(f, 1);
                var eye = torch.eye(k, dtype: f.dtype, device: f.device).unsqueeze(0);
                return p.sqrt().unsqueeze(2) * (eye - p.unsqueeze(1));
            case LossKind.MeanSquaredError:
                return torch.eye(k, dtype: f.dtype, device: f.device).unsqueeze(0).expand(b, k, k);
            case LossKind.Exponential:
                return exp(-(labels.to_type(f.dtype) * 2 - 1) * f.squeeze(1)).sqrt().view(b, 1, 1);
            default:
                throw new NotSupportedException($"no Gauss-Newton output Hessian for loss {loss}");
        }
    }

    private static Tensor Softmax(Tensor f, Tensor z)
    {
        var p = nn.functional.softmax(f, 1);
        return p * z - p * (p * z).sum(1, keepdim: true);
    }
}
