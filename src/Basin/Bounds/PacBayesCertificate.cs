using System.Diagnostics;
using Basin.Data;
using Basin.Models;
using Basin.Operators;
using Basin.Training;
using static TorchSharp.torch;

namespace Basin.Bounds;

/// <summary>
/// A PAC-Bayes risk certificate of a stochastic network Q = N(μ, diag σ²): with probability at least
/// 1 − δ − δ′ over the bound set and the Monte-Carlo draws, the expected 0-1 error of Q on new data is at
/// most <see cref="Risk"/>.
/// </summary>
/// <param name="Risk">The certificate: <c>kl⁻¹(EmpiricalErrorUpper, Complexity)</c>.</param>
/// <param name="EmpiricalError">Q's 0-1 error on the bound set, estimated from the weight draws.</param>
/// <param name="EmpiricalErrorUpper">Its sample-convergence bound <c>kl⁻¹(EmpiricalError, ln(2/δ′)/m)</c>.</param>
/// <param name="Kl">KL(Q ‖ P) at the chosen prior variance.</param>
/// <param name="Complexity"><c>(KL + ln(2√n·J/δ)) / n</c>: J grid values of the prior variance, paid by a union bound.</param>
/// <param name="PriorSigma">The prior's standard deviation, from the grid.</param>
/// <param name="GridSize">J.</param>
/// <param name="BoundSamples">n, the samples the bound is evaluated on.</param>
/// <param name="PriorSamples">The samples that trained the prior mean (0: the prior is centred at the initial weights).</param>
/// <param name="McDraws">m, weight draws of the Monte-Carlo estimate.</param>
/// <param name="Delta">δ.</param>
/// <param name="DeltaMonteCarlo">δ′.</param>
/// <param name="NetworkTestError">The trained (deterministic) network's test error.</param>
/// <param name="PosteriorMeanTestError">The posterior mean μ's test error.</param>
/// <param name="StochasticTestError">Q's test error, estimated from a few draws on the test set (what the certificate bounds).</param>
/// <param name="Objective">The training objective and its value at the end of each epoch.</param>
/// <param name="Seconds">Wall time.</param>
public sealed record Certificate(
    double Risk, double EmpiricalError, double EmpiricalErrorUpper, double Kl, double Complexity, double PriorSigma, int GridSize,
    int BoundSamples, int PriorSamples, int McDraws, double Delta, double DeltaMonteCarlo,
    double NetworkTestError, double PosteriorMeanTestError, double StochasticTestError, (string Name, double[] PerEpoch) Objective, double Seconds);

/// <summary>
/// Optimises a PAC-Bayes posterior around a trained network against the bound itself and certifies it
/// (Dziugaite &amp; Roy 2017; Pérez-Ortiz, Rivasplata, Shawe-Taylor, Szepesvári 2021): Q = N(μ, diag σ²) over
/// all weights, σ = softplus(ρ); prior P = N(μ₀, σ_P² I) with μ₀ the initial weights or a network trained on
/// a held-out part of the training set (a data-dependent prior: the bound is then evaluated on the rest
/// only), σ_P fixed in advance from a grid of J = 17 values 10^{k/4 − 4}, k = 0 … 16 (10⁻⁴ … 1); the bound pays
/// a union over the grid, so trying every grid value is allowed.
/// </summary>
/// <remarks>
/// Training: Adam on (μ, ρ) with the reparametrisation w = μ + σ ⊙ ε. The objective f(L̂, B)
/// (<see cref="PacBayesObjectives"/>) is taken on the mini-batch's bounded cross-entropy L̂ with
/// B = (KL + ln(2√n·J/δ))/n; its gradient is chained by hand: ∂f/∂μ = f_L·g + f_B/n·(μ − μ₀)/λ and
/// ∂f/∂ρ = (f_L·g ⊙ ε + f_B/n·(σ/λ − 1/σ)) ⊙ sigmoid(ρ), g the gradient of L̂ at w, so any model the
/// trainer runs can be certified; λ = σ_P². Certificate: m weight draws, each on an independent uniform subset
/// of the bound set, give i.i.d. errors in [0, 1] with mean exactly Q's empirical error; so with
/// probability ≥ 1 − δ′ that error is at most kl⁻¹(mean, ln(2/δ′)/m) (Langford &amp; Caruana 2001), and with
/// probability ≥ 1 − δ the risk is at most kl⁻¹(that, B) (Maurer 2004).
/// </remarks>
public static class PacBayesCertifier
{
    /// <summary>The prior standard deviations of the grid.</summary>
    public static IReadOnlyList<double> PriorSigmaGrid { get; } = Enumerable.Range(0, 17).Select(k => Math.Pow(10, k / 4.0 - 4)).ToArray();

    /// <summary>
    /// Certifies <paramref name="run"/>'s network on <paramref name="train"/> (samples of the set it was trained on), comparing
    /// with <paramref name="test"/> when given (the test errors are NaN without one).
    /// </summary>
    public static Certificate Certify(TrainingRun run, Dataset train, Dataset? test, CertifySettings settings, IProgress<(string Stage, double Fraction)>? progress = null)
    {
        settings.Validate();
        Evaluation.CheckFits(run.Model, train);
        var clock = Stopwatch.StartNew();
        var parameters = ParameterSelection.Select(run.Model.Module, null).Select(p => (Tensor)p.Value).ToArray();
        using var scope = NewDisposeScope();
        var trained = ParameterSelection.Flatten(parameters.Select(p => p.detach()));
        double networkTestError = test is null ? double.NaN : Evaluation.Evaluate(run.Model, test).Error;
        int priorCount = (int)(settings.PriorSplit * train.Count);
        var order = Shuffle.Permutation(train.Count, settings.Seed * 7 + 1);
        using var boundSet = train.Subset(order[priorCount..], train.Name + "/bound");
        if (boundSet.Count < 2) throw new ArgumentException($"the bound set has {boundSet.Count} samples: lower --prior-split");
        Tensor priorMean, mean;
        if (priorCount > 0)
        {
            using var priorSet = train.Subset(order[..priorCount], train.Name + "/prior");
            using var prior = TrainingRun.Start(run.Config, priorSet, trained.device);
            prior.Train(priorSet, test ?? priorSet, progress: new CallbackProgress<TrainProgress>(p => progress?.Report(("prior", ((p.Epoch - 1) + (double)p.Step / p.Steps) / p.Epochs))));
            priorMean = ParameterSelection.Flatten(ParameterSelection.Select(prior.Model.Module, null).Select(p => p.Value.detach()));
            mean = priorMean.clone();
        }
        else
        {
            priorMean = ParameterSelection.Flatten(ParameterSelection.Select(run.Model.Module, null).Select(p => run.InitialWeights[p.Name].to(trained.device)));
            mean = trained.clone();
        }
        double priorSigma = PriorSigmaGrid.First(g => Math.Abs(g / settings.PriorSigma - 1) < 1e-6), lambda = priorSigma * priorSigma;
        double rhoInit = Math.Log(Math.Exp(priorSigma) - 1);
        var rho = full_like(mean, rhoInit);
        using var swap = new WeightSwap(parameters);
        using var generator = new Generator((ulong)(settings.Seed * 1_000_003L + 5));
        var objective = Optimise(run.Model, parameters, swap, mean, rho, priorMean, lambda, boundSet, settings, generator, progress);

        var sigma = nn.functional.softplus(rho);
        double n = boundSet.Count;
        double kl = KlDivergence.Gaussian(mean, sigma, priorMean, lambda);
        double complexity = PacBayesObjectives.Complexity(kl, n, settings.Delta / PriorSigmaGrid.Count);
        double empirical = MonteCarloError(run.Model, swap, mean, sigma, boundSet, settings.McDraws, settings.McSubset, generator, f => progress?.Report(("monte carlo", f)));
        double empiricalUpper = KlDivergence.InverseUpper(empirical, Math.Log(2 / settings.DeltaMonteCarlo) / settings.McDraws);
        double risk = KlDivergence.InverseUpper(empiricalUpper, complexity);
        swap.Set(mean);
        double meanTestError = test is null ? double.NaN : Evaluation.Evaluate(run.Model, test).Error;
        double stochasticTestError = test is null ? double.NaN : MonteCarloError(run.Model, swap, mean, sigma, test, 20, test.Count, generator, null);
        return new Certificate(risk, empirical, empiricalUpper, kl, complexity, priorSigma, PriorSigmaGrid.Count, boundSet.Count, priorCount,
            settings.McDraws, settings.Delta, settings.DeltaMonteCarlo, networkTestError, meanTestError, stochasticTestError,
            (settings.Objective.ToString().ToLowerInvariant(), objective), clock.Elapsed.TotalSeconds);
    }

    private static double[] Optimise(Model model, Tensor[] parameters, WeightSwap swap, Tensor mean, Tensor rho, Tensor priorMean, double lambda, Dataset data,
        CertifySettings s, Generator generator, IProgress<(string Stage, double Fraction)>? progress)
    {
        double n = data.Count, logInvMin = Math.Log(1 / s.MinProbability);
        double deltaGrid = s.Delta / PriorSigmaGrid.Count;
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
                swap.Set(mean + sigma * eps);
                var loss = BoundedCrossEntropy(model.Module.forward(x), y, s.MinProbability, logInvMin);
                var g = ParameterSelection.Flatten(autograd.grad([loss], parameters));
                double kl = KlDivergence.Gaussian(mean, sigma, priorMean, lambda);
                var (value, dRisk, dComplexity) = PacBayesObjectives.Evaluate(s.Objective, loss.item<float>(), PacBayesObjectives.Complexity(kl, n, deltaGrid));
                double c = dComplexity / n;
                using var noGrad = no_grad();
                var gradMean = g * dRisk + (mean - priorMean) * (c / lambda);
                var gradRho = (g * eps * dRisk + (sigma / lambda - sigma.reciprocal()) * c) * rho.sigmoid();
                t++;
                AdamStep(mean, gradMean, moments[0], moments[1], s.LearningRate, t);
                AdamStep(rho, gradRho, moments[2], moments[3], s.LearningRate, t);
                sum += value;
                progress?.Report(("posterior", (epoch + (step + 1.0) / steps) / s.Epochs));
            }
            perEpoch[epoch] = sum / steps;
        }
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

    /// <summary>Mean 0-1 error of <paramref name="draws"/> weight draws, each on an independent uniform subset of <paramref name="subset"/> samples.</summary>
    private static double MonteCarloError(Model model, WeightSwap swap, Tensor mean, Tensor sigma, Dataset data, int draws, int subset, Generator generator, Action<double>? progress)
    {
        using var mode = new ModeScope(model.Module, train: false);
        using var noGrad = no_grad();
        int size = Math.Min(subset, data.Count);
        var rng = new Random((int)(generator.initial_seed() % int.MaxValue));
        double sum = 0;
        for (int d = 0; d < draws; d++)
        {
            using var scope = NewDisposeScope();
            swap.Set(mean + sigma * randn(mean.shape, mean.dtype, generator: generator).to(mean.device));
            var index = size == data.Count ? arange(data.Count) : tensor(Enumerable.Range(0, size).Select(_ => (long)rng.Next(data.Count)).ToArray());
            var x = data.Features.index_select(0, index).to(mean.device);
            var y = data.Labels.index_select(0, index).to(mean.device);
            sum += (double)Losses.Errors(model.Loss, model.Module.forward(x), y) / size;
            progress?.Invoke((d + 1.0) / draws);
        }
        return sum / draws;
    }
}
