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
/// The empirical Fisher <c>F = (1/N) Σ g_i g_iᵀ</c> from per-sample gradients (<see cref="PerSampleGradients"/>):
/// <c>Fv = (1/N) Σ g_i (g_iᵀ v)</c>. With <see cref="FisherLabels.Sampled"/> the labels are drawn once per
/// batch from the model (seeded), which gives an unbiased estimate of the true Fisher.
/// </summary>
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
        Tensor g;
        if (Caches) g = cachedGradients ??= PerSample(batch, index).DetachFromDisposeScope();
        else g = PerSample(batch, index);
        var flat = ParameterSelection.Flatten(v);
        var product = g.t().mv(g.mv(flat)).div(batch.Count);
        return ParameterSelection.Split(product, Parameters);
    }

    private Tensor PerSample(Batch batch, long index)
    {
        var y = batch.Labels;
        if (labels == FisherLabels.Sampled)
        {
            using var noGrad = no_grad();
            using var generator = new Generator((ulong)(seed * 1_000_003L + index));
            var p = nn.functional.softmax(Model.Module.forward(batch.Inputs), 1).cpu();
            y = multinomial(p, 1, generator: generator).squeeze(1).to(batch.Labels.device);
        }
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
