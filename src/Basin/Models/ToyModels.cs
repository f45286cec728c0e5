using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Basin.Models;

/// <summary>
/// The deep linear model of seed 002 §2 (Flatness is a false friend): one scalar output
/// <c>f(x) = x · w₁ w₂ ⋯ w_d</c> for scalar inputs, trained with the exponential loss
/// <c>exp(−y f(x))</c> (labels ±1; for one datum with y = −1 this is the paper's
/// <c>L = exp(X w₁ w₂ w₃)</c>). Parameters w1 … wd, initialised U(0.5, 1.5).
/// </summary>
internal sealed class DeepLinear : nn.Module<Tensor, Tensor>, ISeededInit
{
    public DeepLinear(int depth) : base("DeepLinear")
    {
        for (int i = 0; i < depth; i++) register_parameter($"w{i + 1}", new Parameter(ones(1)));
    }

    // Looked up on each use: Module.to(…) replaces registered parameters, so fields would go stale.
    private Parameter[] Weights => parameters(recurse: false).ToArray();

    public void Reset(Generator generator)
    {
        foreach (var w in Weights)
        {
            using var draw = rand(w.shape, w.dtype, w.device, generator: generator);
            w.copy_(draw.add_(0.5));
        }
    }

    public override Tensor forward(Tensor x)
    {
        var weights = Weights;
        var product = weights[0].squeeze();
        for (int i = 1; i < weights.Length; i++) product = product * weights[i].squeeze();
        return x.reshape(x.shape[0], -1).sum(1, keepdim: true) * product;
    }
}

/// <summary>
/// The two-parameter model of seed 003 §2 (Wang et al., Fig. 1): a 5-layer MLP with sigmoid activations
/// on 2-D inputs whose layers all share one 2×2 weight matrix built from two free parameters,
/// <c>W = [[w1, w2], [w2, w1]]</c>: <c>h ← σ(W h)</c> four times, then logits <c>W h</c>. The paper does
/// not give the sharing pattern; this symmetric one keeps exactly two free parameters. Initialised
/// U(−1, 1).
/// </summary>
internal sealed class SharedSigmoidMlp : nn.Module<Tensor, Tensor>, ISeededInit
{
    public SharedSigmoidMlp() : base("SharedSigmoidMlp")
    {
        register_parameter("w1", new Parameter(zeros(1)));
        register_parameter("w2", new Parameter(zeros(1)));
    }

    public void Reset(Generator generator)
    {
        foreach (var p in parameters(recurse: false)) SeededInit.Uniform(p, 1, generator);
    }

    public override Tensor forward(Tensor x)
    {
        var ps = parameters(recurse: false).ToArray();
        var (w1, w2) = (ps[0], ps[1]);
        var w = stack([cat([w1, w2]), cat([w2, w1])]); // [[w1, w2], [w2, w1]]
        var h = x;
        for (int layer = 0; layer < 4; layer++) h = sigmoid(h.matmul(w.t()));
        return h.matmul(w.t());
    }
}
