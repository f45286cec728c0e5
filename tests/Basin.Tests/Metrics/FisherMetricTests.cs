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
                frob.Add(gram.square().sum().item<double>() / 100);
                norms.AddRange(j.square().sum(1).data<double>().ToArray());
                rao.AddRange((j * w).square().sum(1).data<double>().ToArray());
            }
            using var context = new MetricContext(model, data, settings);
            var r = MetricRegistry.Measure(context, MetricRegistry.Select("fisher.logdet_subsampled,fisher.logdet_extrapolated,fisher.trace,fisher.frobenius_sq,fisher.spectral_radius,norm.fisher_rao,bound.fisher_volume")).ToDictionary(x => x.Id);
            AssertClose(r["fisher.logdet_subsampled"], logDets.Average(), 1e-8);
            AssertClose(r["fisher.logdet_extrapolated"], 43.0 / 10 * logDets.Average() + 43 * Math.Log(43), 1e-8);
            AssertClose(r["fisher.trace"], norms.Average(), 1e-8);
            AssertClose(r["fisher.frobenius_sq"], frob.Average(), 1e-8);
            AssertClose(r["fisher.spectral_radius"], spectral.Average(), 1e-8);
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
}
