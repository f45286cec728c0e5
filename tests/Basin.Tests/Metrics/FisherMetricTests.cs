using Basin.Data;
using Basin.Metrics;
using Basin.Operators;
using Xunit;
using static Basin.Tests.Metrics.MetricTestModels;
using static TorchSharp.torch;

namespace Basin.Tests.Metrics;

public class FisherMetricTests
{
    [Fact]
    public void FisherMetricsMatchExplicitPerSampleGradientMatrices()
    {
        using var scope = NewDisposeScope();
        var (model, data) = TanhMlp();
        using (model)
        using (data)
        {
            model.Module.eval();
            var settings = new MeasureSettings { FisherSubsetSize = 10, FisherSubsets = 6, Seed = 4 };
            var w = ParameterSelection.Flatten(model.Module.parameters().Select(p => p.detach()));
            var logDets = new List<double>();
            var spectral = new List<double>();
            var frob = new List<double>();
            var frobSubset = new List<double>();
            var norms = new List<double>();
            var rao = new List<double>();
            for (int t = 0; t < 6; t++)
            {
                var index = tensor(Shuffle.Permutation(30, settings.FisherSubsetSeed(t))[..10]);
                var j = PerSampleReference(model, data.Features.index_select(0, index), data.Labels.index_select(0, index));
                var gram = j.matmul(j.t());
                var eig = linalg.eigvalsh(gram).data<double>().ToArray();
                logDets.Add(eig.Sum(Math.Log));
                spectral.Add(eig.Max() / 10);
                frobSubset.Add(gram.square().sum().item<double>() / 100);
                double offDiagonal = 0;
                for (int p = 0; p < 10; p++)
                    for (int q = 0; q < 10; q++)
                        if (p != q) offDiagonal += Math.Pow(gram[p, q].item<double>(), 2);
                frob.Add(offDiagonal / (10 * 9));
                norms.AddRange(j.square().sum(1).data<double>().ToArray());
                rao.AddRange((j * w).square().sum(1).data<double>().ToArray());
            }
            using var context = new MetricContext(model, data, settings);
            var r = MetricRegistry.Measure(context, MetricRegistry.Select("fisher.logdet_subsampled,fisher.logdet_extrapolated,fisher.trace,fisher.frobenius_sq,fisher.spectral_radius,norm.fisher_rao,bound.fisher_volume")).ToDictionary(x => x.Id);
            AssertClose(r["fisher.logdet_subsampled"], logDets.Average(), 1e-8);
            AssertClose(r["fisher.logdet_extrapolated"], 43.0 / 10 * logDets.Average() + 43 * Math.Log(43), 1e-8);
            AssertClose(r["fisher.trace"], norms.Average(), 1e-8);
            AssertClose(r["fisher.frobenius_sq"], frob.Average(), 1e-8);
            Assert.Equal(frobSubset.Average(), r["fisher.frobenius_sq"].Terms["subset_form"], 1e-10);
            // ρ(F_emp) of all 30 samples, F = JᵀJ/30 from every per-sample gradient.
            var all = PerSampleReference(model, data.Features, data.Labels);
            double rho = linalg.eigvalsh(all.t().matmul(all) / 30).max().item<double>();
            AssertClose(r["fisher.spectral_radius"], rho, 1e-8);
            Assert.Equal(spectral.Average(), r["fisher.spectral_radius"].Terms["subset_form"], 1e-10);
            AssertClose(r["norm.fisher_rao"], rao.Average(), 1e-8);
            Assert.Equal(0, r["fisher.logdet_subsampled"].Terms["singular"]);
            Assert.Equal(60, r["fisher.logdet_subsampled"].Cost.PerSampleGradients);

            // Seed 001 Theorem 1 from the same γ.
            double gamma = 43.0 / 10 * logDets.Average() + 43 * Math.Log(43);
            double a = 43 * Math.Pow(Math.PI, 1.0 / 43) * Math.Exp(gamma / 43) / (4 * Math.PI * Math.E);
            double loss = CrossEntropy(model, data), h = loss + a;
            AssertClose(r["bound.fisher_volume"], h + 2 * Math.Sqrt((2 * h + Math.Log(2 * 30 / 0.05)) / 29), 1e-8);
        }
    }

    [Fact]
    public void FisherNormsAreUnbiasedForTheMeasuredSetOverRepeatedSubsets()
    {
        // Over many random subsets, the U-statistic's mean is the same statistic over all measured pairs,
        // (1/(N(N−1))) Σ_{i≠j} (g_iᵀg_j)²; the subset form sits above it by about (m₄ − U)/N′, m₄ = mean ‖g‖⁴.
        using var scope = NewDisposeScope();
        var (model, data) = TanhMlp();
        using (model)
        using (data)
        {
            model.Module.eval();
            var j = PerSampleReference(model, data.Features, data.Labels);
            var gram = j.matmul(j.t());
            double n = 30, u = (gram.square().sum() - gram.diagonal().square().sum()).item<double>() / (n * (n - 1));
            double m4 = gram.diagonal().square().mean().item<double>();
            var settings = new MeasureSettings { FisherSubsetSize = 6, FisherSubsets = 400, Seed = 11 };
            var unbiased = Run(model, data, settings, "fisher.frobenius_sq");
            AssertWithin(unbiased, u);
            var subset = Run(model, data, settings with { FisherNorms = FisherNormForm.Subsets }, "fisher.frobenius_sq");
            double expectedSubset = 5.0 / 6 * u + m4 / 6;
            AssertWithin(subset, expectedSubset);
            Assert.True(subset.Value - u > 4 * subset.StandardError, $"the subset form {subset.Display} is not biased above U = {u} at this size: the test has no power");
        }
    }

    [Fact]
    public void InputJacobianRobustnessMatchesPerSampleJacobians()
    {
        using var scope = NewDisposeScope();
        var (model, data) = TanhMlp(12);
        using (model)
        using (data)
        {
            model.Module.eval();
            var norms = new List<double>();
            for (int i = 0; i < 12; i++)
            {
                var x = data.Features[i].unsqueeze(0).detach().requires_grad_(true);
                var p = nn.functional.softmax(model.Module.forward(x), 1)[0];
                var rows = Enumerable.Range(0, 3).Select(k => autograd.grad([p[k]], [x], retain_graph: true)[0].reshape(-1)).ToArray();
                norms.Add(linalg.matrix_norm(stack(rows), 2).item<double>());
            }
            AssertClose(Run(model, data, new MeasureSettings(), "robustness.input_jacobian"), norms.Average(), 1e-10);
        }
    }

    [Fact]
    public void TheGramMatrixFromColumnBlocksIsTheWholeProduct()
    {
        // 7 per-sample gradients of 1 003 parameters in float32, blocks of 3 columns (a last block of 1): J Jᵀ and the
        // Fisher-Rao terms Σ_k (J_ik w_k)² as one float64 product would give them.
        using var scope = NewDisposeScope();
        var j = randn(7, 1003, generator: new TorchSharp.torch.Generator(3));
        var w = randn(1003, dtype: ScalarType.Float64, generator: new TorchSharp.torch.Generator(4));
        var (gram, rao) = PerSampleGradients.GramInBlocks(j, w, blockBytes: 3 * 8 * 7);
        var j64 = j.to(ScalarType.Float64);
        Assert.True((gram - j64.matmul(j64.t())).abs().max().item<double>() < 1e-9, "Gram differs from J Jᵀ");
        Assert.True((rao - (j64 * w).pow(2).sum(1)).abs().max().item<double>() < 1e-9, "Fisher-Rao terms differ");
        Assert.Equal(100L * 11_000_000 * 4, FisherSubsets.Bytes(100, 11_000_000, 4));
    }
}
