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
            using var generator = new Generator((ulong)settings.SeedFor(SeedStream.PacGenPerturbation));
            var u = (rand(w.shape, w.dtype, generator: generator) * 2 - 1) * kappa;
            Tensor shifted;
            using (var swap = new WeightSwap(model.Module.parameters()))
            {
                swap.Set(w + u);
                using var gu = new GgnOperator(model, CurvatureData.FromDataset(data));
                shifted = DenseReference.Matrix(gu).diagonal();
            }
            double rho = ((shifted - h).abs() / u.abs()).max().item<double>();
            Assert.True(Math.Abs(r.Terms["rho"] - rho) <= 1e-8 * rho, $"ρ = {r.Terms["rho"]} vs {rho} from dense GGN diagonals at w and w + u");
            double psi = ((w.abs() + kappa) * maximum((h + kappa * (rho * Math.Sqrt(w.numel()))).clamp_min(0).sqrt(), kappa.reciprocal())).log().sum().item<double>();
            AssertClose(r, psi, 1e-9);
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
