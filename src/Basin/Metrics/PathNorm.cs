using static TorchSharp.torch;

namespace Basin.Metrics;

/// <summary>
/// <c>norm.path</c>: the path norm of a ReLU (or linear) fully connected network, Σ over input–output paths of Π w²,
/// computed as f_{w²}(1): every weight and bias squared, the all-ones input, the outputs summed (Neyshabur et al. 2015;
/// Jiang et al. 2020 §C, "path norm"). With non-negative weights every ReLU passes its input, so the network is the
/// product of the squared layers: <c>h ← W² h + b²</c> from h = 1, in float64. Applies to <c>mlp:…:relu</c> and
/// <c>softmax</c> models only (pooling, normalisation and other activations break the path decomposition).
/// </summary>
public sealed class PathNorm() : Metric(MetricId, "path norm f_{w²}(1) of a ReLU network", "Neyshabur et al. 2015; Jiang et al. 2020 §C", CostClass.Cheap)
{
    /// <summary>Its id, <c>norm.path</c>.</summary>
    public const string MetricId = "norm.path";

    /// <inheritdoc />
    public override MetricRole Role => MetricRole.Baseline;

    /// <inheritdoc />
    public override string? NotApplicable(MetricContext context)
    {
        string spec = context.Model.Spec;
        bool relu = (spec.StartsWith("mlp:", StringComparison.Ordinal) && spec.EndsWith(":relu", StringComparison.Ordinal)) || spec == "softmax";
        if (!relu) return $"path norm needs a fully connected ReLU or linear network, not {spec}";
        return Layers(context) is null ? "the parameters are not weight/bias pairs of linear layers" : null;
    }

    /// <inheritdoc />
    public override MetricResult Compute(MetricContext context)
    {
        using var scope = NewDisposeScope();
        var layers = Layers(context)!;
        var h = ones(layers[0].Weight.shape[1], dtype: ScalarType.Float64);
        foreach (var (weight, bias) in layers)
        {
            h = weight.detach().cpu().to(ScalarType.Float64).square().matmul(h);
            if (bias is not null) h += bias.detach().cpu().to(ScalarType.Float64).square();
        }
        return Result(context, h.sum().item<double>(), 0, [("layers", layers.Count)]);
    }

    /// <summary>The (weight, bias) pairs of the linear layers in order, or null when the parameters are not such pairs.</summary>
    private static List<(Tensor Weight, Tensor? Bias)>? Layers(MetricContext context)
    {
        var list = new List<(Tensor, Tensor?)>();
        var ps = context.Parameters;
        for (int i = 0; i < ps.Length; i++)
        {
            var w = ps[i].Value;
            if (w.dim() != 2) return null;
            Tensor? b = null;
            if (i + 1 < ps.Length && ps[i + 1].Value.dim() == 1 && ps[i + 1].Value.shape[0] == w.shape[0]) b = ps[++i].Value;
            if (list.Count > 0 && list[^1].Item1.shape[0] != w.shape[1]) return null;
            list.Add((w, b));
        }
        return list.Count > 0 ? list : null;
    }
}
