using Basin.Bounds;
using Basin.Data;
using Basin.Training;
using Xunit;
using static TorchSharp.torch;

namespace Basin.Tests.Bounds;

public class KlDivergenceTests
{
    [Theory]
    [InlineData(0.1)]
    [InlineData(0.5)]
    [InlineData(2.0)]
    public void InverseAtZeroIsOneMinusExpMinusC(double c) =>
        // kl(0 ‖ p) = −ln(1 − p), so kl⁻¹(0, c) = 1 − e^{−c}.
        Assert.Equal(1 - Math.Exp(-c), KlDivergence.InverseUpper(0, c), 10);

    [Fact]
    public void InverseSolvesTheEquationAndIsMonotone()
    {
        double previous = 0;
        foreach (double q in new[] { 0.0, 0.01, 0.1, 0.3, 0.6 })
        {
            double p = KlDivergence.InverseUpper(q, 0.05);
            Assert.True(p >= q && p >= previous, $"kl⁻¹({q}, 0.05) = {p} is not increasing in q");
            Assert.Equal(0.05, KlDivergence.Bernoulli(q, p), 8);
            previous = p;
        }
        Assert.True(KlDivergence.InverseUpper(0.1, 0.01) < KlDivergence.InverseUpper(0.1, 0.02), "kl⁻¹ must increase in c");
        Assert.Equal(0.1, KlDivergence.InverseUpper(0.1, 0), 8); // kl near its zero is rounding: p resolves to ~√ε
        Assert.Equal(1, KlDivergence.InverseUpper(0.2, 50));
        // kl(q‖p) by its definition at one point: 0.1 ln(0.1/0.3) + 0.9 ln(0.9/0.7).
        Assert.Equal(0.1 * Math.Log(0.1 / 0.3) + 0.9 * Math.Log(0.9 / 0.7), KlDivergence.Bernoulli(0.1, 0.3), 14);
    }

    [Fact]
    public void GaussianKlMatchesTheDenseFormula()
    {
        // KL(N(μ_q, Σ_q) ‖ N(μ_p, Σ_p)) = ½ [tr(Σ_p⁻¹Σ_q) + (μ_p − μ_q)ᵀ Σ_p⁻¹ (μ_p − μ_q) − k + ln(det Σ_p / det Σ_q)].
        var rng = new Random(3);
        int k = 7;
        var mean = Enumerable.Range(0, k).Select(_ => rng.NextDouble() - 0.5).ToArray();
        var variance = Enumerable.Range(0, k).Select(_ => 0.01 + rng.NextDouble()).ToArray();
        var priorMean = Enumerable.Range(0, k).Select(_ => rng.NextDouble() - 0.5).ToArray();
        double lambda = 0.7;
        using var sq = diag(tensor(variance));
        using var sp = eye(k, dtype: ScalarType.Float64) * lambda;
        using var d = tensor(priorMean) - tensor(mean);
        using var spInv = linalg.inv(sp);
        double dense = 0.5 * ((spInv.matmul(sq)).trace().item<double>() + d.dot(spInv.mv(d)).item<double>() - k
            + Math.Log(linalg.det(sp).item<double>() / linalg.det(sq).item<double>()));
        using var mu = tensor(mean);
        using var sigma = tensor(variance).sqrt();
        using var mu0 = tensor(priorMean);
        Assert.Equal(dense, KlDivergence.Gaussian(mu, sigma, mu0, lambda), 10);
    }

    [Theory]
    [InlineData(PacBayesObjective.Quad)]
    [InlineData(PacBayesObjective.Classic)]
    [InlineData(PacBayesObjective.Kl)]
    public void ObjectiveDerivativesMatchCentralDifferences(PacBayesObjective objective)
    {
        const double risk = 0.12, complexity = 0.03, h = 1e-6;
        var (_, dRisk, dComplexity) = PacBayesObjectives.Evaluate(objective, risk, complexity);
        double fdRisk = (PacBayesObjectives.Evaluate(objective, risk + h, complexity).Value - PacBayesObjectives.Evaluate(objective, risk - h, complexity).Value) / (2 * h);
        double fdComplexity = (PacBayesObjectives.Evaluate(objective, risk, complexity + h).Value - PacBayesObjectives.Evaluate(objective, risk, complexity - h).Value) / (2 * h);
        Assert.True(Math.Abs(dRisk - fdRisk) < 1e-6 * Math.Abs(fdRisk) + 1e-8, $"{objective}: ∂f/∂L̂ {dRisk} vs {fdRisk}");
        Assert.True(Math.Abs(dComplexity - fdComplexity) < 1e-5 * Math.Abs(fdComplexity) + 1e-8, $"{objective}: ∂f/∂B {dComplexity} vs {fdComplexity}");
        // Every objective upper-bounds the PAC-Bayes-kl bound it relaxes.
        Assert.True(PacBayesObjectives.Evaluate(objective, risk, complexity).Value >= KlDivergence.InverseUpper(risk, complexity) - 1e-12);
    }
}

public class CertificateTests
{
    /// <summary>kl(q ‖ p) between Bernoulli distributions, written out here.</summary>
    private static double Kl(double q, double p) =>
        (q == 0 ? 0 : q * Math.Log(q / p)) + (q == 1 ? 0 : (1 - q) * Math.Log((1 - q) / (1 - p)));

    [Fact]
    public void CertificateBoundsTheStochasticNetworksErrorOnFreshDataInBothModesAcrossSeeds()
    {
        // A small MLP on a Gaussian mixture; the "test set" is a large fresh sample of the same distribution,
        // so Q's error on it (20 draws × 20 000 points) stands for Q's true risk.
        using var train = Synthetic.GaussianMixture(4, 3, 600, seed: 0, sampleSeed: 1);
        using var population = Synthetic.GaussianMixture(4, 3, 20_000, seed: 0, sampleSeed: 99);
        foreach (int seed in new[] { 0, 1, 2, 3 })
        {
            var config = new TrainConfig { Model = "mlp:4-16-3", Data = "mixture:d=4,k=3,n=600", Epochs = 8, BatchSize = 32, LearningRate = 0.05, Seed = seed };
            using var run = TrainingRun.Start(config, train);
            run.Train(train, population);
            foreach (var mode in new[] { CertifyMode.Checkpoint, CertifyMode.Retrain })
            foreach (double split in new[] { 0.0, 0.5 })
            {
                var settings = new CertifySettings { Mode = mode, PriorSplit = split, Epochs = 2, McDraws = 400, Seed = seed, PriorSigma = Math.Pow(10, -0.5) };
                var c = PacBayesCertifier.Certify(run.Model, run.Record(), train, population, settings);
                Console.Error.WriteLine($"seed {seed} {mode} split {split}: risk {c.Risk:F4} emp {c.EmpiricalError:F4} kl {c.Kl:F1} Q test {c.StochasticTestError:F4} net {c.NetworkTestError:F4}");
                Assert.True(c.Risk >= c.StochasticTestError, $"seed {seed}, {mode}, split {split}: certificate {c.Risk:F4} below Q's error on fresh data {c.StochasticTestError:F4}");
                if (split > 0) Assert.True(c.Risk < 0.5, $"seed {seed}, {mode}: vacuous certificate {c.Risk} with a data-dependent prior");
                // The accounting, against the definitions written here: δ split between the Monte-Carlo and the PAC-Bayes-kl
                // inversions, the grid of 17 priors paid by a union bound, B = (KL + ln(2√n/δ′))/n, and each upper bound the
                // p ≥ q at which kl(q ‖ p) reaches its budget.
                Assert.Equal((c.Kl + Math.Log(2 * Math.Sqrt(c.BoundSamples) / (c.Delta / 17))) / c.BoundSamples, c.Complexity, 12);
                Assert.True(c.EmpiricalErrorUpper >= c.EmpiricalError && c.Risk >= c.EmpiricalErrorUpper, "upper bounds below what they bound");
                Assert.Equal(Math.Log(2 / c.DeltaMonteCarlo) / c.McDraws, Kl(c.EmpiricalError, c.EmpiricalErrorUpper), 8);
                Assert.Equal(c.Complexity, Kl(c.EmpiricalErrorUpper, c.Risk), 8);
                Assert.Equal(split == 0 ? 600 : 300, c.BoundSamples);
                Assert.Equal(600, c.PosteriorSamples);
                Assert.Equal(17, c.GridSize);
                Assert.Equal(mode, c.Mode);
                // The Monte-Carlo noise: the draws' errors lie in [0, 1], so their standard error is at most ½/√m.
                Assert.InRange(c.EmpiricalErrorStandardError, 1e-6, 0.5 / Math.Sqrt(c.McDraws));
                Assert.InRange(c.RiskStandardError, 1e-6, 0.1);
            }
        }
    }

    [Fact]
    public void CheckpointModeStartsAtTheCheckpointsWeightsAndRetrainModeAtThePriors()
    {
        using var train = Synthetic.GaussianMixture(4, 3, 300, seed: 0, sampleSeed: 1);
        using var test = Synthetic.GaussianMixture(4, 3, 2_000, seed: 0, sampleSeed: 7);
        var config = new TrainConfig { Model = "mlp:4-16-3", Data = "mixture:d=4,k=3,n=300", Epochs = 6, BatchSize = 32, LearningRate = 0.1, Seed = 5 };
        using var run = TrainingRun.Start(config, train);
        run.Train(train, test);
        var before = run.Model.Module.state_dict().ToDictionary(p => p.Key, p => p.Value.clone());
        // No optimisation: Q's mean is where each mode starts it.
        var start = new CertifySettings { PriorSplit = 0, Epochs = 0, McDraws = 50, PriorSigma = 0.01 };
        var checkpoint = PacBayesCertifier.Certify(run.Model, run.Record(), train, test, start);
        Assert.Equal(0, checkpoint.CheckpointDistance);
        Assert.Equal(checkpoint.NetworkTestError, checkpoint.PosteriorMeanTestError);
        var retrain = PacBayesCertifier.Certify(run.Model, run.Record(), train, test, start with { Mode = CertifyMode.Retrain });
        // Retrain starts at the prior's mean, here the initial weights: the rms distance to the trained weights, computed by hand.
        double sum = 0;
        long count = 0;
        foreach (var (name, p) in run.Model.Module.named_parameters())
        {
            using var d = (p.detach().to(ScalarType.Float64) - run.InitialWeights[name].to(ScalarType.Float64)).square();
            sum += d.sum().item<double>();
            count += p.numel();
        }
        Assert.Equal(Math.Sqrt(sum / count), retrain.CheckpointDistance, 5);
        Assert.True(retrain.CheckpointDistance > 0.01);
        // Along the line from the checkpoint to the prior's mean: 0 at the start of checkpoint mode, 1 at retrain's.
        Assert.Equal(0, checkpoint.TowardPrior, 6);
        Assert.Equal(1, retrain.TowardPrior, 5);
        Assert.Equal(retrain.CheckpointDistance, retrain.PriorDistance, 6);
        // And KL at σ = σ_P: only the mean term ‖μ − μ₀‖²/(2σ_P²), zero in retrain mode at its start.
        Assert.Equal(0, retrain.Kl, 6);
        Assert.InRange(checkpoint.Kl / (sum / (2 * 0.01 * 0.01)), 1 - 1e-4, 1 + 1e-4);
        // --fixed-mean: after optimisation too, Q's mean is the checkpoint's weights; only σ moved.
        var fixedMean = PacBayesCertifier.Certify(run.Model, run.Record(), train, test, start with { Epochs = 2, FixedMean = true });
        Assert.Equal(0, fixedMean.CheckpointDistance);
        Assert.NotEqual(0.01, fixedMean.PosteriorSigmaMedian, 6);
        Assert.StartsWith("exactly the checkpoint's neighbourhood", fixedMean.Certified);
        Assert.True(PacBayesCertifier.Certify(run.Model, run.Record(), train, test, start with { Epochs = 2 }).CheckpointDistance > 0, "a free mean moves");
        // Certifying changes nothing of the model.
        foreach (var (name, t) in run.Model.Module.state_dict()) Assert.True(t.eq(before[name]).all().item<bool>(), $"{name} changed");
    }

    [Fact]
    public void BatchNormModelsAreRefusedWithADataFreePriorAndCertifiedWithStatisticsFromPriorSamples()
    {
        // resnet:8 on 1×8×8 "images" of a Gaussian mixture in 64 dimensions.
        using var flatTrain = Synthetic.GaussianMixture(64, 3, 300, seed: 0, sampleSeed: 1);
        using var flatPopulation = Synthetic.GaussianMixture(64, 3, 1_500, seed: 0, sampleSeed: 3);
        using var train = new Dataset("images", flatTrain.Features.reshape(-1, 1, 8, 8), flatTrain.Labels, 3);
        using var population = new Dataset("population", flatPopulation.Features.reshape(-1, 1, 8, 8), flatPopulation.Labels, 3);
        var config = new TrainConfig { Model = "resnet:8", Data = "images", Epochs = 2, BatchSize = 50, LearningRate = 0.05, Seed = 1 };
        using var run = TrainingRun.Start(config, train);
        run.Train(train, population);
        var before = run.Model.Module.state_dict().ToDictionary(p => p.Key, p => p.Value.clone());
        var settings = new CertifySettings { PriorSplit = 0, Epochs = 1, McDraws = 100, PriorSigma = 0.1 };
        Assert.Contains("batch-norm", Assert.Throws<ArgumentException>(() => PacBayesCertifier.Certify(run.Model, run.Record(), train, population, settings)).Message);
        var c = PacBayesCertifier.Certify(run.Model, run.Record(), train, population, settings with { PriorSplit = 0.5 });
        Assert.Equal(150, c.StatisticsSamples);
        Assert.Contains("batch-norm statistics are recomputed", c.Prior);
        Assert.True(c.Risk >= c.StochasticTestError, $"certificate {c.Risk:F4} below Q's error on fresh data {c.StochasticTestError:F4}");
        // The running statistics Q recomputed are the model's no more once certify returns.
        foreach (var (name, t) in run.Model.Module.state_dict()) Assert.True(t.eq(before[name]).all().item<bool>(), $"{name} changed");
    }

    [Fact]
    public void RecomputedBatchNormStatisticsAreThoseOfTheBatch()
    {
        var module = nn.Sequential(("0", nn.Linear(5, 4)), ("1", nn.BatchNorm1d(4)), ("2", nn.ReLU()), ("3", nn.Linear(4, 3)));
        using var model = new Basin.Models.Model(module, "bn-mlp", Basin.Models.LossKind.CrossEntropy, "") { InputShape = [5], Outputs = 3 };
        var bn = (TorchSharp.Modules.BatchNorm1d)module.named_modules().First(m => m.name == "1").module;
        using (no_grad()) bn.running_mean!.fill_(7);
        module.eval();
        using var x = randn(64, 5, generator: new Generator(3));
        Basin.Models.BatchNormStatistics.Recompute(model, x);
        using var h = ((nn.Module<Tensor, Tensor>)module.named_modules().First(m => m.name == "0").module).forward(x).detach().to(ScalarType.Float64);
        // The batch's mean and unbiased variance, per feature, computed here in float64.
        var mean = h.mean([0]);
        var variance = (h - mean).square().sum([0]) / 63;
        Assert.True(bn.running_mean!.to(ScalarType.Float64).allclose(mean, rtol: 1e-5, atol: 1e-6));
        Assert.True(bn.running_var!.to(ScalarType.Float64).allclose(variance, rtol: 1e-5, atol: 1e-6));
        Assert.False(module.training);
        Assert.Equal(0.1, bn.momentum);
        Assert.True(Basin.Models.BatchNormStatistics.Has(model) && Basin.Models.BatchNormStatistics.Recomputable(model));
    }

    [Fact]
    public void BadSettingsAreRefused()
    {
        Assert.Contains("--prior-sigma must be one of the grid", Assert.Throws<ArgumentException>(() => new CertifySettings { PriorSigma = 0.02 }.Validate()).Message);
        Assert.Contains("--prior-split", Assert.Throws<ArgumentException>(() => new CertifySettings { PriorSplit = 1 }.Validate()).Message);
        Assert.Throws<ArgumentException>(() => new CertifySettings { Delta = 0.6, DeltaMonteCarlo = 0.5 }.Validate());
        Assert.Contains("--fixed-mean", Assert.Throws<ArgumentException>(() => new CertifySettings { Mode = CertifyMode.Retrain, FixedMean = true }.Validate()).Message);
        // A grid value as people write it (0.0316 for 10^-1.5) means that grid value; 0.02 is between two.
        new CertifySettings { PriorSigma = 0.0316 }.Validate();
    }
}
