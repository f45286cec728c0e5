using System.Diagnostics;
using Basin.Data;
using Basin.Models;
using Basin.Operators;
using static TorchSharp.torch;

namespace Basin.Bounds;

/// <summary>
/// Optimises a PAC-Bayes posterior against the bound itself and certifies it (Dziugaite &amp; Roy 2017; Pérez-Ortiz,
/// Rivasplata, Shawe-Taylor, Szepesvári 2021): Q = N(μ, diag σ²) over all weights, σ = softplus(ρ); prior
/// P = N(μ₀, σ_P² I) with μ₀ data-free (the run's initial weights, or zero for a model Basin did not train) or trained
/// by the run's config on a random part of the training set (a data-dependent prior: the bound is then evaluated on
/// the rest only, which the prior never saw); σ_P fixed in advance from a grid of J = 17 values 10^{k/4 − 4},
/// k = 0 … 16 (10⁻⁴ … 1), paid by a union bound, so trying every grid value is allowed.
/// </summary>
/// <remarks>
/// Two modes (<see cref="CertifyMode"/>): <b>checkpoint</b> starts μ at the checkpoint's own weights w, so the certificate
/// is of w's neighbourhood (a posterior may depend on every sample, the bound set included; only the prior may not);
/// <b>retrain</b> starts μ at μ₀, Pérez-Ortiz et al.'s pipeline, and so certifies a new network. In both, (μ, ρ) are trained
/// by Adam on the objective f(L̂, B) over all the training samples with B's n their count, as the authors' code does
/// (<see cref="StochasticNetwork.Optimise"/>). Certificate: m weight draws, each on an independent uniform subset of the
/// bound set, give i.i.d. errors in [0, 1] with mean exactly Q's empirical error; so with probability ≥ 1 − δ′ that
/// error is at most kl⁻¹(mean, ln(2/δ′)/m) (Langford &amp; Caruana 2001), and with probability ≥ 1 − δ the risk is at most
/// kl⁻¹(that, (KL + ln(2√n·J/δ))/n) with n the bound samples (Maurer 2004). Batch norm: a hypothesis is the network at w
/// with its statistics recomputed at w on a fixed batch of prior samples, which needs a data-dependent prior; the
/// checkpoint's own statistics saw the bound set and belong to other weights, so they are never used for Q.
/// </remarks>
public static class PacBayesCertifier
{
    /// <summary>The prior standard deviations of the grid.</summary>
    public static IReadOnlyList<double> PriorSigmaGrid { get; } = Enumerable.Range(0, 17).Select(k => Math.Pow(10, k / 4.0 - 4)).ToArray();

    /// <summary>Prior samples on which a batch-norm model's statistics are recomputed at each weight draw.</summary>
    public const int StatisticsSamples = 256;

    /// <summary>
    /// Certifies <paramref name="model"/> on <paramref name="train"/> (samples of the set it was trained on), comparing with
    /// <paramref name="test"/> when given (the test errors are NaN without one). <paramref name="run"/> — what is known of its training:
    /// initial weights and a trainer of priors by its config — is needed for a data-dependent prior and for retrain mode; without it the prior is centred at zero.
    /// </summary>
    /// <exception cref="ArgumentException">The settings, or what the model allows (see <see cref="Refusal"/>), in one line.</exception>
    public static Certificate Certify(Model model, TrainingRecord? run, Dataset train, Dataset? test, CertifySettings settings, IProgress<(string Stage, double Fraction)>? progress = null)
    {
        settings.Validate();
        if (Refusal(model, run, settings) is { } reason) throw new ArgumentException(reason);
        Evaluation.CheckFits(model, train);
        var clock = Stopwatch.StartNew();
        // Train mode saves every buffer and gives it back at the end: batch-norm statistics recomputed for Q never leak out.
        using var keep = new ModeScope(model.Module, train: true);
        var parameters = ParameterSelection.Select(model.Module, null).Select(p => (Tensor)p.Value).ToArray();
        using var scope = NewDisposeScope();
        var trained = ParameterSelection.Flatten(parameters.Select(p => p.detach()));
        double networkTestError = test is null ? double.NaN : Evaluation.Evaluate(model, test).Error;
        int priorCount = (int)(settings.PriorSplit * train.Count);
        var order = Shuffle.Permutation(train.Count, settings.Seed * 7 + 1);
        using var boundSet = train.Subset(order[priorCount..], train.Name + "/bound");
        if (boundSet.Count < 2) throw new ArgumentException($"the bound set has {boundSet.Count} samples: lower --prior-split");
        using var priorSet = priorCount > 0 ? train.Subset(order[..priorCount], train.Name + "/prior") : null;
        var priorMean = PriorMean(model, run, priorSet, test, trained, progress);
        Tensor? statistics = BatchNormStatistics.Has(model) && priorSet is not null
            ? priorSet.Features.narrow(0, 0, Math.Min(StatisticsSamples, priorSet.Count)).to(trained.device) : null;
        var mean = (settings.Mode == CertifyMode.Checkpoint ? trained : priorMean).clone();
        double priorSigma = PriorSigmaGrid.First(g => Math.Abs(g / settings.PriorSigma - 1) < 0.01), lambda = priorSigma * priorSigma;
        var rho = full_like(mean, Math.Log(Math.Exp(priorSigma) - 1));
        using var swap = new WeightSwap(parameters);
        var network = new StochasticNetwork(model, parameters, swap, statistics);
        using var generator = new Generator((ulong)(settings.Seed * 1_000_003L + 5));
        var objective = network.Optimise(mean, rho, priorMean, lambda, train, settings, generator, f => progress?.Report(("posterior", f)));

        var sigma = nn.functional.softplus(rho);
        double n = boundSet.Count;
        double kl = KlDivergence.Gaussian(mean, sigma, priorMean, lambda);
        double complexity = PacBayesObjectives.Complexity(kl, n, settings.Delta / PriorSigmaGrid.Count);
        var (empirical, empiricalError) = network.MonteCarloErrors(mean, sigma, boundSet, settings.McDraws, settings.McSubset, generator, f => progress?.Report(("monte carlo", f)));
        double empiricalUpper = KlDivergence.InverseUpper(empirical, Math.Log(2 / settings.DeltaMonteCarlo) / settings.McDraws);
        double risk = KlDivergence.InverseUpper(empiricalUpper, complexity);
        double meanTestError = test is null ? double.NaN : network.Error(mean, test);
        double stochasticTestError = test is null ? double.NaN : network.MonteCarloError(mean, sigma, test, 20, test.Count, generator, null);
        double distance = (mean - trained).square().mean().sqrt().to_type(ScalarType.Float64).item<double>(), priorDistance = (priorMean - trained).square().mean().sqrt().to_type(ScalarType.Float64).item<double>();
        var towardPrior = priorMean - trained;
        double toward = towardPrior.dot(mean - trained).to_type(ScalarType.Float64).item<double>() / Math.Max(towardPrior.dot(towardPrior).to_type(ScalarType.Float64).item<double>(), 1e-30);
        return new Certificate(risk, empirical, empiricalUpper, kl, complexity, priorSigma, PriorSigmaGrid.Count, boundSet.Count, priorCount,
            settings.McDraws, settings.Delta, settings.DeltaMonteCarlo, networkTestError, meanTestError, stochasticTestError,
            (settings.Objective.ToString().ToLowerInvariant(), objective), clock.Elapsed.TotalSeconds)
        {
            Mode = settings.Mode,
            EmpiricalErrorStandardError = empiricalError,
            Certified = settings.FixedMean
                ? $"exactly the checkpoint's neighbourhood: Q's mean is held at the checkpoint's weights (the prior's mean is {priorDistance:G3} rms from them), only its noise optimised"
                : settings.Mode == CertifyMode.Checkpoint
                ? $"the checkpoint's neighbourhood: Q's mean started at the checkpoint's weights and ended {distance:G3} rms from them (the prior's mean is {priorDistance:G3} rms from them)"
                : $"a new network, not the checkpoint: Q's mean started at the prior's and was trained by the PAC-Bayes objective, ending {distance:G3} rms from the checkpoint's weights",
            Prior = PriorText(run is not null, priorCount, boundSet.Count, statistics is null ? 0 : (int)statistics.shape[0]),
            CheckpointDistance = distance,
            PriorDistance = priorDistance,
            TowardPrior = toward,
            PosteriorSigmaMedian = sigma.median().to_type(ScalarType.Float64).item<double>(),
            StatisticsSamples = statistics is null ? 0 : (int)statistics.shape[0],
            PosteriorSamples = train.Count,
        };
    }

    /// <summary>
    /// Why <paramref name="model"/> cannot be certified under <paramref name="settings"/>, in one line; null when it can.
    /// <paramref name="run"/>: what is known of its training run (initial weights, a trainer of priors), when anything is.
    /// </summary>
    public static string? Refusal(Model model, TrainingRecord? run, CertifySettings settings)
    {
        bool hasRun = run is not null;
        if (model.Loss == LossKind.Exponential || model.Outputs < 2)
            return $"{model.Spec} is not a classifier with one output per class (its loss is {model.Loss}): a certificate bounds the 0-1 error of the argmax over class scores";
        if (run?.TrainPrior is null && settings.PriorSplit > 0)
            return "a data-dependent prior is trained by the run's config, which a model Basin did not train does not have: give --prior-split 0 (a data-free prior at zero)";
        if (!hasRun && settings.Mode == CertifyMode.Retrain)
            return "retrain mode trains a new network by the run's config: certify a checkpoint basin train wrote, or use checkpoint mode";
        if (BatchNormStatistics.Has(model) && !BatchNormStatistics.Recomputable(model))
            return $"{model.Spec} keeps batch-norm statistics Basin cannot recompute (a TorchScript module's): evaluating Q with the checkpoint's, computed on the bound samples at other weights, would not be a valid certificate";
        if (BatchNormStatistics.Has(model) && settings.PriorSplit == 0)
            return $"{model.Spec} has batch-norm layers, whose evaluation statistics must come from data the bound does not use: give --prior-split > 0 (they are then recomputed at every weight draw on {StatisticsSamples} prior samples)";
        return null;
    }

    private static Tensor PriorMean(Model model, TrainingRecord? run, Dataset? priorSet, Dataset? test, Tensor trained, IProgress<(string Stage, double Fraction)>? progress)
    {
        if (priorSet is not null) return run!.TrainPrior!(priorSet, test, trained.device, new CallbackProgress<double>(f => progress?.Report(("prior", f))));
        if (run is null) return zeros_like(trained);
        return ParameterSelection.Flatten(ParameterSelection.Select(model.Module, null).Select(p => run.InitialWeights[p.Name].to(trained.device)));
    }

    private static string PriorText(bool hasRun, int priorSamples, int boundSamples, int statistics) =>
        (priorSamples > 0
            ? $"P's mean was trained by the run's config on {priorSamples} random training samples (which the checkpoint also saw); the bound uses the other {boundSamples}, which the prior never saw"
            : (hasRun ? "P is centred at the run's initial weights (data-free)" : "P is centred at zero (data-free: the model's initial weights are unknown)") + $"; the bound uses all {boundSamples} training samples")
        + (statistics > 0 ? $"; batch-norm statistics are recomputed at every weight draw on {statistics} of the prior's samples" : "");
}
