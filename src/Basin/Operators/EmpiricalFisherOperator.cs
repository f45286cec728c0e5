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
/// On one batch the B × P matrix of per-sample gradients (<see cref="PerSampleGradients"/>) is computed once
/// and reused. Streamed over a data set that matrix would be rebuilt for every product (and B·P floats do not
/// fit for large models), so there <c>Fv = (1/N) J_ℓᵀ(J_ℓ v)</c> is formed with J_ℓ the Jacobian of the
/// per-sample losses ℓ, by the double-backward trick of <see cref="GgnOperator"/>: with a dummy u,
/// <c>J_ℓᵀu = ∂(ℓ·u)/∂w</c>, <c>J_ℓv = ∂((J_ℓᵀu)·v)/∂u</c> (the B numbers g_iᵀv), then
/// <c>J_ℓᵀ(J_ℓv) = ∂(ℓ · J_ℓv)/∂w</c> — the cost of a GGN product.
/// </remarks>
public sealed class EmpiricalFisherOperator : CurvatureOperator
{
    private readonly FisherLabels labels;
    private readonly int seed;
    private Tensor? cachedGradients;

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
        if (!Caches) return StreamedProduct(batch, v, Labels(batch, index));
        var g = cachedGradients ??= PerSample(batch, Labels(batch, index)).DetachFromDisposeScope();
        var flat = ParameterSelection.Flatten(v);
        var product = g.t().mv(g.mv(flat)).div(batch.Count);
        return ParameterSelection.Split(product, Parameters);
    }

    private Tensor[] StreamedProduct(Batch batch, Tensor[] v, Tensor y)
    {
        var losses = Losses.PerSample(Model.Loss, Model.Module.forward(batch.Inputs), y);
        var dummy = zeros_like(losses).requires_grad_(true);
        var jtu = Grad(losses, Parameters, createGraph: true, gradOutput: dummy);
        var dot = jtu[0].mul(v[0]).sum();
        for (int i = 1; i < jtu.Length; i++) dot = dot.add(jtu[i].mul(v[i]).sum());
        var jv = Grad(dot, [dummy], retainGraph: true)[0];
        return Grad(losses, Parameters, gradOutput: jv.detach().div(batch.Count));
    }

    private Tensor Labels(Batch batch, long index)
    {
        if (labels != FisherLabels.Sampled) return batch.Labels;
        using var noGrad = no_grad();
        using var generator = new Generator((ulong)(seed * 1_000_003L + index));
        var p = nn.functional.softmax(Model.Module.forward(batch.Inputs), 1).cpu();
        return multinomial(p, 1, generator: generator).squeeze(1).to(batch.Labels.device);
    }

    private Tensor PerSample(Batch batch, Tensor y)
    {
        var selected = ParameterNames.Zip(Parameters, (n, p) => (n, p)).ToArray();
        var (gradients, method) = PerSampleGradients.Compute(Model, selected, batch.Inputs, y);
        Method = method;
        return gradients;
    }

    /// <inheritdoc />
    protected override void ResetCache()
    {
        cachedGradients?.Dispose();
        cachedGradients = null;
    }
}
