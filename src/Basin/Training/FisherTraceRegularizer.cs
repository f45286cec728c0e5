using Basin.Models;
using Basin.Metrics;
using Basin.Operators;
using static TorchSharp.torch;

namespace Basin.Training;

/// <summary>
/// The Fisher-trace regulariser of seed 001 §6 (Algorithm 1): split the batch into M sub-batches B_i, take
/// <c>g_i = ∇L(B_i, w)</c> detached, and descend <c>L(B, w) + β R_α(w)</c> with
/// <c>R_α(w) = (1/M) Σ_i [L(B_i, w) − L(B_i, w − α g_i)] ≈ α ‖g_i‖²</c>, the update clipped to global norm τ.
/// </summary>
/// <remarks>
/// Since g_i is a constant, <c>∇_w L(B_i, w − α g_i)</c> is the ordinary gradient at the shifted weights, so
/// <c>∇R_α = (1/M) Σ_i [∇L(B_i, w) − ∇L(B_i, w − α g_i)]</c> needs no double backward: two gradients of each
/// sub-batch, two SGD steps in all. <c>∇L(B, w)</c> is the size-weighted mean of the <c>∇L(B_i, w)</c>. A batch
/// smaller than M (the last of an epoch) is split into as many sub-batches as it has samples. R_α is taken on the hard
/// labels, as the paper defines it; with label smoothing the data term keeps the run's smoothed loss (one more gradient
/// per sub-batch). The 2M sub-batch forwards give batch norm's running statistics back; a model that keeps them gets
/// one gradient-free forward of the whole batch at w instead, so they are updated once per step, as in plain training.
/// </remarks>
internal sealed class FisherTraceRegularizer(RegularizerSettings settings) : StepMethod(settings)
{
    /// <summary>Its declaration: it lowers the Fisher trace, and seed 001 Table 2 reads γ̂ too.</summary>
    public static StepMethodInfo Info { get; } = new("fisher", "Fisher-trace regulariser R_α (seed 001 §6, Algorithm 1)",
        [new("alpha", 1e-4, 0, 1), new("beta", 50, 0, 1e4), new("m", 8, 1, 1024, Whole: true), new("clip", 5, 0, 1e6)], s => new FisherTraceRegularizer(s))
    {
        Lowers = _ => [FisherTrace.MetricId, FisherLogDetSubsampled.MetricId],
    };

    private readonly double alpha = settings.Number("alpha");
    private readonly double beta = settings.Number("beta");
    private readonly int m = (int)settings.Number("m");
    private readonly double clip = settings.Number("clip");

    public override (double Loss, Tensor[] Gradient) Gradient(TrainingStep step)
    {
        long n = step.Inputs.shape[0];
        var xs = step.Inputs.tensor_split(Math.Min(m, n));
        var ys = step.Labels.tensor_split(Math.Min(m, n));
        int parts = xs.Length;
        var total = step.Parameters.Select(p => zeros_like(p)).ToArray();
        double loss = 0;
        bool smoothed = step.LabelSmoothing > 0;
        for (int i = 0; i < parts; i++)
        {
            double weight = (double)xs[i].shape[0] / n;
            var (x, y) = (xs[i], ys[i]);
            var hard = step.KeepingStatistics(() =>
            {
                var li = step.HardLoss(x, y);
                return (Value: li.to(ScalarType.Float64).item<double>(), Gradient: Grad(li, step.Parameters));
            });
            var gi = hard.Gradient;
            if (smoothed)
            {
                var data = step.KeepingStatistics(() =>
                {
                    var li = step.Loss(x, y);
                    return (Value: li.to(ScalarType.Float64).item<double>(), Gradient: Grad(li, step.Parameters));
                });
                loss += weight * data.Value;
                for (int j = 0; j < total.Length; j++) total[j].add_(data.Gradient[j], alpha: weight).add_(gi[j], alpha: beta / parts);
            }
            else
            {
                loss += weight * hard.Value;
                for (int j = 0; j < total.Length; j++) total[j].add_(gi[j], alpha: weight + beta / parts);
            }
            using var swap = new WeightSwap(step.Parameters);
            swap.Set(step.Parameters.Select((p, j) => p.detach().add(gi[j], alpha: -alpha)).ToArray());
            var shifted = step.KeepingStatistics(() => Grad(step.HardLoss(x, y), step.Parameters));
            for (int j = 0; j < total.Length; j++) total[j].add_(shifted[j], alpha: -beta / parts);
        }
        // The running statistics see the whole batch once, at w.
        if (BatchNormStatistics.Has(step.Model))
            using (no_grad()) step.Model.Module.forward(step.Inputs);
        if (clip > 0) ClipToNorm(total, clip);
        return (loss, total);
    }

    /// <summary><c>R_α(w)</c> itself on the step's batch (for tests and reports; training never needs its value).</summary>
    internal double Value(TrainingStep step)
    {
        var xs = step.Inputs.tensor_split(Math.Min(m, step.Inputs.shape[0]));
        var ys = step.Labels.tensor_split(xs.Length);
        double sum = 0;
        for (int i = 0; i < xs.Length; i++)
        {
            var li = step.HardLoss(xs[i], ys[i]);
            var gi = Grad(li, step.Parameters);
            using var swap = new WeightSwap(step.Parameters);
            swap.Set(step.Parameters.Select((p, j) => p.detach().add(gi[j], alpha: -alpha)).ToArray());
            sum += li.to(ScalarType.Float64).item<double>() - step.HardLoss(xs[i], ys[i]).to(ScalarType.Float64).item<double>();
        }
        return sum / xs.Length;
    }

    /// <summary>Scales <paramref name="g"/> in place to global norm at most <paramref name="tau"/>.</summary>
    internal static void ClipToNorm(Tensor[] g, double tau)
    {
        double norm = Norm(g);
        if (norm > tau) foreach (var x in g) x.mul_(tau / norm);
    }
}
