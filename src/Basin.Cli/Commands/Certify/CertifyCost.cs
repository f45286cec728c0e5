using Basin.Cli.Infrastructure;
using Basin.Bounds;
using Basin.Data;
using Basin.Models;
using Basin.Training;
using static TorchSharp.torch;

namespace Basin.Cli.Commands.Certify;

/// <summary>
/// What a certificate will cost, said before it is spent: gradient steps of the prior (when trained) and of the posterior,
/// Monte-Carlo forward passes, a time from one timed gradient and one timed forward, and the memory of the posterior's
/// flat vectors (μ, ρ, the prior's mean, Adam's four moments, a draw and its gradient: 9 × P values).
/// </summary>
internal static class CertifyCost
{
    public static string Preview(Model model, TrainingRun? run, Dataset train, CertifySettings s)
    {
        var parameters = model.Module.parameters().ToArray();
        long p = parameters.Sum(x => x.numel());
        var device = parameters[0].device;
        int batch = Math.Min(s.BatchSize, train.Count), draw = Math.Min(s.McSubset, train.Count);
        bool statistics = BatchNormStatistics.Has(model);
        double gradient = CostPreview.Seconds(() =>
        {
            using var scope = NewDisposeScope();
            var loss = Losses.Mean(model.Loss, model.Module.forward(train.Features.narrow(0, 0, batch).to(device)), train.Labels.narrow(0, 0, batch).to(device));
            autograd.grad([loss], parameters);
        });
        double forward = CostPreview.Seconds(() =>
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            model.Module.forward(train.Features.narrow(0, 0, draw + (statistics ? PacBayesCertifier.StatisticsSamples : 0)).to(device));
        });
        // Per draw and per step the flat vectors are drawn, combined and copied into the model: a few passes over P values.
        using var swap = new Basin.Operators.WeightSwap(parameters);
        using var mean = swap.Original.clone();
        double vectors = CostPreview.Seconds(() =>
        {
            using var scope = NewDisposeScope();
            swap.Set(mean + randn(mean.shape, mean.dtype, device) * 0.01);
        });
        swap.Set(mean);
        int priorCount = (int)(s.PriorSplit * train.Count);
        long priorSteps = priorCount > 0 && run is not null ? (long)run.Config.Epochs * ((priorCount + run.Config.BatchSize - 1) / run.Config.BatchSize) : 0;
        long posteriorSteps = (long)s.Epochs * ((train.Count + s.BatchSize - 1) / s.BatchSize);
        double seconds = priorSteps * gradient * run?.Config.BatchSize / (double)batch ?? 0;
        seconds += posteriorSteps * (gradient + 2 * vectors + (statistics ? forward : 0)) + s.McDraws * (forward + vectors);
        double megabytes = 9.0 * p * parameters[0].element_size() / (1 << 20);
        return $"cost: {(priorSteps > 0 ? $"{priorSteps:N0} prior steps, " : "")}{posteriorSteps:N0} posterior steps of {batch}, {s.McDraws:N0} Monte-Carlo draws of {draw} samples"
            + $"{(statistics ? $" (+{PacBayesCertifier.StatisticsSamples} for batch norm)" : "")} → about {ProgressBar.Format(seconds)}"
            + $"; the posterior's vectors {megabytes:F0} MB beside the model and its activations";
    }
}
