using Basin.Data;
using Basin.Models;
using Basin.Operators;
using static TorchSharp.torch;

namespace Basin.Bounds;

/// <summary>
/// The hypotheses a PAC-Bayes posterior Q = N(μ, diag σ²) draws from: the model at weights w, evaluated in eval mode;
/// a batch-norm model's statistics are recomputed at w on a fixed batch of prior samples first
/// (<see cref="BatchNormStatistics"/>), so each w names one fixed function that no bound sample helped choose.
/// Also trains (μ, ρ) against a PAC-Bayes objective and estimates Q's error by Monte Carlo.
/// </summary>
internal sealed class StochasticNetwork(Model model, Tensor[] parameters, WeightSwap swap, Tensor? statisticsBatch)
{
    /// <summary>The logits of the hypothesis at <paramref name="weights"/> on <paramref name="x"/> (the model must be in eval mode).</summary>
    public Tensor Logits(Tensor weights, Tensor x)
    {
        swap.Set(weights);
        if (statisticsBatch is not null) BatchNormStatistics.Recompute(model, statisticsBatch);
        return model.Module.forward(x);
    }

    /// <summary>
    /// Adam on (μ, ρ) for the objective f(L̂, B) (<see cref="PacBayesObjectives"/>) on <paramref name="data"/>'s mini-batches, B with
    /// n = <paramref name="data"/>'s size; w = μ + σ ⊙ ε, σ = softplus(ρ), the gradient chained by hand. Returns f per epoch.
    /// </summary>
    public double[] Optimise(Tensor mean, Tensor rho, Tensor priorMean, double lambda, Dataset data, CertifySettings s, Generator generator, Action<double>? progress)
    {
        double n = data.Count, logInvMin = Math.Log(1 / s.MinProbability);
        double deltaGrid = s.Delta / PacBayesCertifier.PriorSigmaGrid.Count;
        var moments = new[] { zeros_like(mean), zeros_like(mean), zeros_like(rho), zeros_like(rho) };
        long t = 0;
        int steps = (data.Count + s.BatchSize - 1) / s.BatchSize;
        var perEpoch = new double[s.Epochs];
        var device = mean.device;
        using var mode = new ModeScope(model.Module, train: false);
        for (int epoch = 0; epoch < s.Epochs; epoch++)
        {
            var order = Shuffle.Permutation(data.Count, s.Seed * 7919 + epoch);
            double sum = 0;
            for (int step = 0; step < steps; step++)
            {
                using var inner = NewDisposeScope();
                var index = tensor(order[(step * s.BatchSize)..Math.Min(data.Count, (step + 1) * s.BatchSize)]);
                var x = data.Features.index_select(0, index).to(device);
                var y = data.Labels.index_select(0, index).to(device);
                var sigma = nn.functional.softplus(rho);
                var eps = randn(mean.shape, mean.dtype, generator: generator).to(device);
                var loss = BoundedCrossEntropy(Logits(mean + sigma * eps, x), y, s.MinProbability, logInvMin);
                var g = ParameterSelection.Flatten(autograd.grad([loss], parameters));
                double kl = KlDivergence.Gaussian(mean, sigma, priorMean, lambda);
                var (value, dRisk, dComplexity) = PacBayesObjectives.Evaluate(s.Objective, loss.to_type(ScalarType.Float64).item<double>(), PacBayesObjectives.Complexity(kl, n, deltaGrid));
                double c = dComplexity / n;
                using var noGrad = no_grad();
                var gradMean = g * dRisk + (mean - priorMean) * (c / lambda);
                var gradRho = (g * eps * dRisk + (sigma / lambda - sigma.reciprocal()) * c) * rho.sigmoid();
                t++;
                if (!s.FixedMean) AdamStep(mean, gradMean, moments[0], moments[1], s.LearningRate, t);
                AdamStep(rho, gradRho, moments[2], moments[3], s.LearningRate, t);
                sum += value;
                progress?.Invoke((epoch + (step + 1.0) / steps) / s.Epochs);
            }
            perEpoch[epoch] = sum / steps;
        }
        foreach (var m in moments) m.Dispose();
        return perEpoch;
    }

    /// <summary>
    /// One Adam step (Kingma &amp; Ba 2015; β = 0.9, 0.999, ε = 1e-8): scale-free, so the stiff KL term (curvature
    /// 1/(nσ_P²) per weight) cannot make the step diverge as plain SGD with momentum did for small n or σ_P.
    /// </summary>
    private static void AdamStep(Tensor x, Tensor gradient, Tensor m, Tensor v, double lr, long t)
    {
        m.mul_(0.9).add_(gradient, alpha: 0.1);
        v.mul_(0.999).addcmul_(gradient, gradient, value: 0.001);
        double correction1 = 1 - Math.Pow(0.9, t), correction2 = 1 - Math.Pow(0.999, t);
        x.sub_(m / correction1 / ((v / correction2).sqrt() + 1e-8) * lr);
    }

    /// <summary>The bounded cross-entropy <c>−ln max(p_y, p_min) / ln(1/p_min)</c>, mean over the batch (Pérez-Ortiz et al. 2021).</summary>
    internal static Tensor BoundedCrossEntropy(Tensor logits, Tensor labels, double minProbability, double logInverseMin)
    {
        var logp = nn.functional.log_softmax(logits, 1).gather(1, labels.unsqueeze(1)).squeeze(1);
        return -logp.clamp_min(Math.Log(minProbability)).mean() / logInverseMin;
    }

    /// <summary>
    /// Mean 0-1 error of <paramref name="draws"/> weight draws, each on an independent uniform subset of <paramref name="subset"/>
    /// samples (the whole set when it has no more), so the draws' errors are i.i.d. in [0, 1] with mean Q's error on the set.
    /// </summary>
    public double MonteCarloError(Tensor mean, Tensor sigma, Dataset data, int draws, int subset, Generator generator, Action<double>? progress) =>
        MonteCarloErrors(mean, sigma, data, draws, subset, generator, progress).Mean;

    /// <summary><see cref="MonteCarloError"/> with its standard error over the draws.</summary>
    public (double Mean, double StandardError) MonteCarloErrors(Tensor mean, Tensor sigma, Dataset data, int draws, int subset, Generator generator, Action<double>? progress)
    {
        using var mode = new ModeScope(model.Module, train: false);
        using var noGrad = no_grad();
        int size = Math.Min(subset, data.Count);
        var rng = new Random((int)(generator.initial_seed() % int.MaxValue));
        var errors = new Estimators.RunningStatistics();
        for (int d = 0; d < draws; d++)
        {
            using var scope = NewDisposeScope();
            var weights = mean + sigma * randn(mean.shape, mean.dtype, generator: generator).to(mean.device);
            var index = size == data.Count ? arange(data.Count) : tensor(Enumerable.Range(0, size).Select(_ => (long)rng.Next(data.Count)).ToArray());
            errors.Add((double)Errors(weights, data, index) / size);
            progress?.Invoke((d + 1.0) / draws);
        }
        return (errors.Mean, errors.StandardError);
    }

    /// <summary>The 0-1 error of the single hypothesis at <paramref name="weights"/> on <paramref name="data"/>.</summary>
    public double Error(Tensor weights, Dataset data)
    {
        using var mode = new ModeScope(model.Module, train: false);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        return (double)Errors(weights, data, arange(data.Count)) / data.Count;
    }

    /// <summary>
    /// The misclassified samples among <paramref name="index"/> of the hypothesis at <paramref name="weights"/>, in chunks of at most
    /// 1 000 samples (a whole test set in one forward of a CNN is gigabytes of activations); eval mode, no gradient.
    /// </summary>
    private long Errors(Tensor weights, Dataset data, Tensor index)
    {
        long errors = 0, size = index.shape[0];
        for (long start = 0; start < size; start += 1000)
        {
            using var chunk = NewDisposeScope();
            var part = index.narrow(0, start, Math.Min(1000, size - start));
            var x = data.Features.index_select(0, part).to(weights.device);
            var y = data.Labels.index_select(0, part).to(weights.device);
            // The weights (and the batch-norm statistics they imply) are set once, on the first chunk.
            errors += Losses.Errors(model.Loss, start == 0 ? Logits(weights, x) : model.Module.forward(x), y);
        }
        return errors;
    }
}
