using Basin.Models;
using Basin.Bounds;
using Basin.Metrics;
using Basin.Operators;
using Basin.Tests.Operators;
using Basin.Training;
using Xunit;
using static Basin.Tests.Metrics.MetricTestModels;
using static TorchSharp.torch;

namespace Basin.Tests.Metrics;

public class BoundAndPacGenTests
{
    [Theory]
    [InlineData(0.5, 0.4769362762044699)]
    [InlineData(0.1, 0.08885599049425769)]
    [InlineData(-0.8, -0.9061938024368232)]
    [InlineData(1e-7, 8.862269254527580e-8)]
    public void InverseErfMatchesReferenceValues(double x, double expected) =>
        Assert.True(Math.Abs(SpecialFunctions.InverseErf(x) - expected) < 1e-14 * Math.Max(1, Math.Abs(expected)) + 1e-22, $"erf⁻¹({x}) = {SpecialFunctions.InverseErf(x)} vs {expected}");

    [Fact]
    public void PacGenAndWangBoundsFollowTheirFormulas()
    {
        using var scope = NewDisposeScope();
        var (model, data) = TanhMlp();
        using (model)
        using (data)
        {
            // One perturbation for ρ: the formulas (PacGenDiagonalTests checks the mean over several).
            var settings = new MeasureSettings { Diagonal = DiagonalEstimator.Exact, PacGenDiagonal = DiagonalEstimator.Exact, Seed = 6, PacGenPerturbations = 1 };
            using var context = new MetricContext(model, data, settings);
            var r = MetricRegistry.Measure(context, MetricRegistry.Select("pacgen,bound.wang_uniform,bound.wang_gaussian")).ToDictionary(x => x.Id);
            using var h = new HessianOperator(model, CurvatureData.FromDataset(data));
            var hd = DenseReference.Matrix(h).diagonal().data<double>().ToArray();
            var w = ParameterSelection.Flatten(model.Module.parameters().Select(p => p.detach())).abs().data<double>().ToArray();
            double rho = r["pacgen"].Terms["rho"], m = 43, n = 30, gamma = 0.1, eps = 0.1;
            Assert.True(rho > 0 && double.IsFinite(rho), $"ρ = {rho}");
            // ρ = max_i |h_i(w+u) − h_i(w)| / |u_i| with u_i ∼ U(−κ_i, κ_i) from pacGen's stream, h from dense Hessians at w and w+u.
            var flat = ParameterSelection.Flatten(model.Module.parameters().Select(p => p.detach()));
            var kappaT = flat.abs() * 0.1 + 0.1;
            using var generator = new Generator((ulong)settings.SeedFor(SeedStream.PacGenPerturbation));
            var u = (rand(flat.shape, flat.dtype, generator: generator) * 2 - 1) * kappaT;
            var parameters = model.Module.parameters().ToArray();
            var steps = ParameterSelection.Split(u, parameters);
            using (no_grad()) for (int i = 0; i < parameters.Length; i++) parameters[i].add_(steps[i]);
            using (var hu = new HessianOperator(model, CurvatureData.FromDataset(data)))
            {
                var shifted = DenseReference.Matrix(hu).diagonal();
                double expectedRho = ((shifted - tensor(hd)).abs() / u.abs()).max().item<double>();
                Assert.True(Math.Abs(rho - expectedRho) <= 1e-8 * expectedRho, $"ρ = {rho} vs dense {expectedRho}");
            }
            using (no_grad()) for (int i = 0; i < parameters.Length; i++) parameters[i].sub_(steps[i]);
            var kappa = w.Select(x => gamma * x + eps).ToArray();
            double psi = 0;
            for (int i = 0; i < w.Length; i++)
                psi += Math.Log((w[i] + kappa[i]) * Math.Max(Math.Sqrt(Math.Max(0, hd[i] + rho * Math.Sqrt(m) * kappa[i])), 1 / kappa[i]));
            AssertClose(r["pacgen"], psi, 1e-9);

            double error = Evaluation.Evaluate(model, data).Error, eta = Math.Sqrt(m * n), l = Math.Log(1 / 0.05);
            double s = 0, sumLog = 0, tau = w.Sum(x => x * x);
            double cap = Math.Sqrt(2) * SpecialFunctions.InverseErf(1 / (2 * m));
            for (int i = 0; i < w.Length; i++)
            {
                double b = eta * (hd[i] / 3 + rho * Math.Sqrt(m) * kappa[i] / 9);
                s += Math.Log((w[i] + kappa[i]) / (b > 0 ? Math.Min(1 / Math.Sqrt(b), kappa[i]) : kappa[i]));
                double g = eta * hd[i] + rho * eta * Math.Sqrt(m) * kappa[i] / 3 + 1 / tau;
                double sigma = g > 0 ? Math.Min(1 / Math.Sqrt(g), kappa[i] / cap) : kappa[i] / cap;
                sumLog += Math.Log(sigma * sigma);
            }
            double uniform = error + 0.5 * Math.Sqrt(m / n) + (1 + 1 / Math.E) * Math.Sqrt((s + l + Math.Log(2) / 2 * (2 + Math.Log(s / l + 1))) / (2 * n));
            double gaussian = error + (m * Math.Log(tau) - sumLog + 1 + 2 * l) / (2 * eta) + eta / (2 * n);
            AssertClose(r["bound.wang_uniform"], uniform, 1e-9);
            AssertClose(r["bound.wang_gaussian"], gaussian, 1e-9);
            Assert.Equal(error, r["bound.wang_uniform"].Terms["empirical"]);
        }
    }

    [Fact]
    public void NormalizedMetricsFollowSeed004FromTheExactNormalizedLossDiagonal()
    {
        using var scope = NewDisposeScope();
        var (model, data) = TanhMlp();
        using (model)
        using (data)
        {
            using var context = new MetricContext(model, data, new MeasureSettings { Diagonal = DiagonalEstimator.Exact });
            var r = MetricRegistry.Measure(context, MetricRegistry.Select("sharpness.matrix_normalized,sharpness.normalized")).ToDictionary(x => x.Id);
            using var hn = new HessianOperator(model with { Loss = Basin.Models.LossKind.NormalizedCrossEntropy }, CurvatureData.FromDataset(data));
            var diag = DenseReference.Matrix(hn).diagonal().clamp_min(0);
            var w1 = model.Module.named_parameters().First(p => p.name == "1.weight").parameter;
            var w3 = model.Module.named_parameters().First(p => p.name == "3.weight").parameter;
            var h1 = diag.narrow(0, 0, 20).reshape(5, 4);
            var h3 = diag.narrow(0, 25, 15).reshape(3, 5);
            double expected = Math.Sqrt(w1.square().sum().item<double>() * h1.sum().item<double>()) + Math.Sqrt(w3.square().sum().item<double>() * h3.sum().item<double>());
            AssertClose(r["sharpness.matrix_normalized"], expected, 1e-10);
            Assert.Equal(8, r["sharpness.matrix_normalized"].Terms["left_out_parameters"]); // biases 5 + 3
            double solved = 0;
            foreach (var (h, w) in new[] { (h1, w1), (h3, w3) })
            {
                var ha = new double[h.shape[0], h.shape[1]];
                var wa = new double[h.shape[0], h.shape[1]];
                for (int i = 0; i < h.shape[0]; i++) for (int j = 0; j < h.shape[1]; j++) { ha[i, j] = h[i, j].item<double>(); wa[i, j] = w[i, j].item<double>(); }
                solved += NormalizedSharpnessSolver.Solve(ha, wa).Value;
            }
            AssertClose(r["sharpness.normalized"], solved, 1e-8);
        }
    }
}

public class WeightMatrixTests
{
    [Fact]
    public void ConvKernelsAreSummedOverSpatialPositionsAndVectorsLeftOut()
    {
        using var scope = NewDisposeScope();
        var model = DenseReference.TinyCnn(seed: 3);
        var (x, y) = DenseReference.Batch(8, [1, 5, 5], 3, seed: 4);
        using (model)
        using (var data = new Basin.Data.Dataset("cnn", x, y, 3))
        using (var context = new MetricContext(model, data, new MeasureSettings()))
        {
            var diagonal = arange(context.P, ScalarType.Float64);
            var (matrices, leftOut) = WeightMatrices.Split(context, diagonal);
            Assert.Equal(["0.weight", "4.weight"], matrices.Select(m => m.Name));
            Assert.Equal(2 + 2 + 2 + 3, leftOut); // conv bias, BN weight and bias, linear bias
            var conv = matrices[0];
            Assert.Equal(2, conv.Curvature.GetLength(0)); // out channels
            Assert.Equal(1, conv.Curvature.GetLength(1)); // in channels
            // Out-channel 1's kernel holds diagonal entries 9 … 17: their sum.
            Assert.Equal(Enumerable.Range(9, 9).Sum(), conv.Curvature[1, 0]);
            var w = model.Module.named_parameters().First(p => p.name == "0.weight").parameter;
            Assert.Equal(w[1].square().sum().item<double>(), conv.WeightSquared[1, 0], 12);
        }
    }
}

public class OptimizedPacBayesBoundTests
{
    [Fact]
    public void TheMetricCertifiesTheModelItIsReportedFor()
    {
        using var train = Basin.Data.Synthetic.GaussianMixture(4, 3, 300, seed: 0, sampleSeed: 1);
        double Measure(int epochs, bool withRun, out MetricResult result)
        {
            var config = new TrainConfig { Model = "mlp:4-16-3", Data = "mixture:d=4,k=3,n=300", Epochs = epochs, BatchSize = 32, LearningRate = 0.05, Seed = 2 };
            using var run = TrainingRun.Start(config, train);
            run.Train(train, train);
            using var context = new MetricContext(run.Model, train, new MeasureSettings { Seed = 1 }, withRun ? run.Record() : null);
            result = MetricRegistry.Measure(context, MetricRegistry.Select("bound.pacbayes_optimized")).Single();
            return result.Value;
        }
        double early = Measure(1, true, out var a), late = Measure(8, true, out var b), scripted = Measure(8, false, out var c);
        // Three networks, three certificates: it depends on the weights (and the prior), not only on the config and the samples.
        Assert.NotEqual(early, late);
        Assert.NotEqual(late, scripted);
        foreach (var r in new[] { a, b, c })
        {
            Assert.Equal("checkpoint", r.Settings["mode"]);
            Assert.InRange(r.Value, r.Terms["empirical_error_q_upper"], 1.0);
            Assert.Equal(300, r.Terms["bound_samples"]);
        }
        Assert.Contains("initial weights", b.Settings["prior"]);
        Assert.Contains("centred at zero", c.Settings["prior"]);
    }
}
