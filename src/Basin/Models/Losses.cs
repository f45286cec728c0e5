using static TorchSharp.torch;

namespace Basin.Models;

/// <summary>The training losses, per sample and averaged.</summary>
public static class Losses
{
    /// <summary>
    /// The mean loss of <paramref name="output"/> against <paramref name="labels"/>: softmax cross-entropy
    /// (optionally label-smoothed), or the exponential loss <c>exp(−s f)</c> with <c>s = 2y − 1</c>.
    /// </summary>
    public static Tensor Mean(LossKind kind, Tensor output, Tensor labels, double labelSmoothing = 0) =>
        kind == LossKind.CrossEntropy && labelSmoothing > 0
            ? nn.functional.cross_entropy(output, labels, label_smoothing: labelSmoothing)
            : PerSample(kind, output, labels).mean();

    /// <summary>The loss of each sample, shape [B].</summary>
    public static Tensor PerSample(LossKind kind, Tensor output, Tensor labels) => kind switch
    {
        LossKind.CrossEntropy => nn.functional.cross_entropy(output, labels, reduction: nn.Reduction.None),
        LossKind.Exponential => exp(-Sign(labels, output.dtype) * output.squeeze(1)),
        LossKind.NormalizedCrossEntropy => nn.functional.cross_entropy(output / output.std(1, unbiased: false, keepdim: true).clamp_min(1e-12), labels, reduction: nn.Reduction.None),
        LossKind.MeanSquaredError => (output - nn.functional.one_hot(labels, output.shape[1]).to_type(output.dtype)).square().sum(1) * 0.5,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>The number of misclassified samples.</summary>
    public static long Errors(LossKind kind, Tensor output, Tensor labels)
    {
        using var scope = NewDisposeScope();
        var wrong = kind == LossKind.Exponential
            ? (Sign(labels, output.dtype) * output.squeeze(1)).le(0)
            : output.argmax(1).ne(labels);
        return wrong.sum().item<long>();
    }

    private static Tensor Sign(Tensor labels, ScalarType dtype) => labels.to_type(dtype).mul(2).sub(1);
}
