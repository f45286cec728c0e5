using Basin.Metrics;
using Basin.Operators;
using Basin.Tests.Operators;
using Xunit;
using static Basin.Tests.Metrics.MetricTestModels;
using static TorchSharp.torch;

namespace Basin.Tests.Metrics;

/// <summary>pacGen's default curvature diagonal: the exact GGN diagonal (metrics.md, revised 2026-11-25).</summary>
public class PacGenDiagonalTests
{
    [Fact]
    public void PacGenUsesTheExactGgnDiagonalByDefault()
    {
        using var scope = NewDisposeScope();
        var (model, data) = TanhMlp();
        using (model)
        using (data)
        {
            var settings = new MeasureSettings { Seed = 6 };
            Assert.Equal(DiagonalEstimator.Ggn, settings.PacGenDiagonal);
            using var context = new MetricContext(model, data, settings);
            var r = MetricRegistry.Measure(context, MetricRegistry.Select("pacgen")).Single();
            using var g = new GgnOperator(model, CurvatureData.FromDataset(data));
            var h = DenseReference.Matrix(g).diagonal();
            var w = ParameterSelection.Flatten(model.Module.parameters().Select(p => p.detach()));
            var kappa = w.abs() * 0.1 + 0.1;
            // Three perturbations u_r (seeds s, s + 7919, s + 2·7919), each with the dense GGN diagonal at w + u_r; Ψ is their mean.
            var rhos = new double[3];
            var psis = new double[3];
            for (int rep = 0; rep < 3; rep++)
            {
                using var generator = new Generator((ulong)(settings.SeedFor(SeedStream.PacGenPerturbation) + 7919 * rep));
                var u = (rand(w.shape, w.dtype, generator: generator) * 2 - 1) * kappa;
                Tensor shifted;
                using (var swap = new WeightSwap(model.Module.parameters()))
                {
                    swap.Set(w + u);
                    using var gu = new GgnOperator(model, CurvatureData.FromDataset(data));
                    shifted = DenseReference.Matrix(gu).diagonal();
                }
                rhos[rep] = ((shifted - h).abs() / u.abs()).max().item<double>();
                psis[rep] = ((w.abs() + kappa) * maximum((h + kappa * (rhos[rep] * Math.Sqrt(w.numel()))).clamp_min(0).sqrt(), kappa.reciprocal())).log().sum().item<double>();
            }
            Assert.True(Math.Abs(r.Terms["rho"] - rhos.Average()) <= 1e-8 * rhos.Average(), $"mean ρ = {r.Terms["rho"]} vs {rhos.Average()} from dense GGN diagonals at w and w + u_r");
            AssertClose(r, psis.Average(), 1e-9);
            double se = Math.Sqrt(psis.Sum(p => (p - psis.Average()) * (p - psis.Average())) / 2 / 3);
            Assert.True(Math.Abs(r.StandardError - se) <= 1e-6 * se, $"s.e. of Ψ {r.StandardError} vs {se} over the three perturbations");
            Assert.Equal(0, r.Terms["clipped_fraction"]);
            Assert.Equal("ggn", r.Settings["diagonal"]);
        }
    }
}

/// <summary>Metrics of one's own in the registry.</summary>
public class MetricRegistrationTests
{
    private sealed class Constant(string id) : Metric(id, "a constant", "test", CostClass.Cheap)
    {
        public override bool OptIn => true;

        public override MetricResult Compute(MetricContext context) => Result(context, 42, double.NaN);
    }

    [Fact]
    public void TakenOrMalformedIdsAreRefused()
    {
        // Registering mutates the process-wide registry, which tests running in parallel read: the successful path
        // is exercised by samples/CustomMetric (run by scripts/test.sh), the refusals here change nothing.
        int before = MetricRegistry.All.Count;
        Assert.Contains("registered already", Assert.Throws<ArgumentException>(() => MetricRegistry.Register(new Constant("hessian.trace"))).Message);
        Assert.Contains("lower-case words", Assert.Throws<ArgumentException>(() => MetricRegistry.Register(new Constant("My Metric"))).Message);
        Assert.Equal(before, MetricRegistry.All.Count);
    }
}
