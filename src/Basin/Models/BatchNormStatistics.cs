using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Basin.Models;

/// <summary>
/// The evaluation statistics of a model's batch-norm layers as a fixed function of its weights: reset, then one
/// train-mode forward of a fixed batch with momentum 1, so each layer's running mean and variance become that
/// batch's (the variance unbiased, as PyTorch keeps it). A PAC-Bayes certificate needs this: a stochastic network
/// evaluated with running statistics computed elsewhere (on the bound set, or at other weights) is not a
/// hypothesis the prior covers, while h(w) = f(w; statistics of f(w) on a batch the bound never sees) is.
/// </summary>
public static class BatchNormStatistics
{
    /// <summary>Whether <paramref name="model"/> keeps running statistics (any buffer named <c>running_mean</c>, scripts included).</summary>
    public static bool Has(Model model) => RunningMeans(model) > 0;

    /// <summary>
    /// Whether <see cref="Recompute"/> reaches every layer that keeps statistics: true for Basin's own layers, false for a
    /// TorchScript module's (its batch-norm momentum is not reachable from here).
    /// </summary>
    public static bool Recomputable(Model model) => RunningMeans(model) == model.Module.modules().OfType<BatchNorm>().Count();

    private static int RunningMeans(Model model) =>
        model.Module.named_buffers().Count(b => b.name == "running_mean" || b.name.EndsWith(".running_mean", StringComparison.Ordinal));

    /// <summary>
    /// Sets every batch-norm layer's running statistics to those of <paramref name="batch"/> at the current weights (they
    /// stay so: a caller that must give the model back unchanged saves its buffers first); the mode is restored.
    /// </summary>
    public static void Recompute(Model model, Tensor batch)
    {
        var layers = model.Module.modules().OfType<BatchNorm>().ToList();
        if (layers.Count == 0) return;
        var momenta = layers.Select(l => l.momentum).ToList();
        bool training = model.Module.training;
        model.Module.train();
        try
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            foreach (var layer in layers)
            {
                layer.reset_running_stats();
                layer.momentum = 1.0;
            }
            model.Module.forward(batch);
        }
        finally
        {
            for (int i = 0; i < layers.Count; i++) layers[i].momentum = momenta[i];
            model.Module.train(training);
        }
    }
}
