using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Basin.Models;

/// <summary>
/// Reparametrisations that leave a ReLU network's function unchanged while moving its weights — the
/// transformations under which seed 004 asks flatness to be invariant. Both act on two consecutive
/// linear or convolution layers with a positively homogeneous activation between them.
/// </summary>
public static class Rescaling
{
    /// <summary>
    /// Layer rescaling (Dinh et al. 2017): <c>W1 ← αW1, b1 ← αb1, W2 ← W2/α</c>, α &gt; 0.
    /// </summary>
    public static void Layers(nn.Module model, string first, string second, double alpha)
    {
        Check(alpha);
        using var noGrad = no_grad();
        var (w1, b1) = WeightAndBias(model, first);
        var (w2, _) = WeightAndBias(model, second);
        w1.mul_(alpha);
        b1?.mul_(alpha);
        w2.div_(alpha);
    }

    /// <summary>
    /// Row/column rescaling (seed 004 eq. 15–16): row <paramref name="unit"/> of W1 (and its bias) divided by
    /// α, column <paramref name="unit"/> of W2 multiplied by α, α &gt; 0.
    /// </summary>
    public static void RowColumn(nn.Module model, string first, string second, long unit, double alpha)
    {
        Check(alpha);
        using var noGrad = no_grad();
        var (w1, b1) = WeightAndBias(model, first);
        var (w2, _) = WeightAndBias(model, second);
        if (unit < 0 || unit >= w1.shape[0] || w1.shape[0] != w2.shape[1])
            throw new ArgumentException($"unit {unit} is not an output of '{first}' feeding '{second}' ({w1.shape[0]} vs {w2.shape[1]} units)");
        w1[unit].div_(alpha);
        if (b1 is not null) b1[unit].div_(alpha);
        w2[.., unit].mul_(alpha);
    }

    private static (Parameter Weight, Parameter? Bias) WeightAndBias(nn.Module model, string name)
    {
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        if (!parameters.TryGetValue(name + ".weight", out var weight))
            throw new ArgumentException($"no layer '{name}' with a weight; layers: {string.Join(", ", parameters.Keys.Where(k => k.EndsWith(".weight", StringComparison.Ordinal)).Select(k => k[..^7]))}");
        return (weight, parameters.GetValueOrDefault(name + ".bias"));
    }

    private static void Check(double alpha)
    {
        if (!(alpha > 0) || double.IsInfinity(alpha)) throw new ArgumentException($"the rescaling factor must be positive and finite, got {alpha}");
    }
}
