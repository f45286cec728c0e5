using Basin.Data;
using Basin.Metrics;
using Basin.Operators;
using Basin.Tests.Operators;
using Xunit;
using static Basin.Tests.Metrics.MetricTestModels;
using static TorchSharp.torch;

namespace Basin.Tests.Metrics;

public class CurvatureMetricTests
{
    private static readonly MeasureSettings Many = new() { TraceProbes = 600, LanczosSteps = 43, SlqSteps = 43, SlqStarts = 40, Seed = 5 };

    /// <summary>The eigenvalues (ascending) of the dense float64 Hessian and GGN of <paramref name="model"/> on <paramref name="data"/>: the references.</summary>
    private static (double[] Hessian, double[] Ggn) DenseSpectra(Basin.Models.Model model, Dataset data)
    {
        using var scope = NewDisposeScope();
        using var h = new HessianOperator(model, CurvatureData.FromDataset(data));
        using var g = new GgnOperator(model, CurvatureData.FromDataset(data));
        return (linalg.eigvalsh(DenseReference.Matrix(h)).data<double>().ToArray(), linalg.eigvalsh(DenseReference.Matrix(g)).data<double>().ToArray());
    }

    /// <summary>Every <c>hessian.*</c> and <c>ggn.*</c> metric measured in <paramref name="context"/>, by id.</summary>
    private static Dictionary<string, MetricResult> HessianAndGgnMetrics(MetricContext context) =>
        MetricRegistry.Measure(context, MetricRegistry.All.Where(m => m.Id.StartsWith("hessian.") || m.Id.StartsWith("ggn.")).ToList()).ToDictionary(x => x.Id);

    [Fact]
    public void HessianAndGgnMetricsMatchDenseMatrices()
    {
        using var scope = NewDisposeScope();
        var (model, data) = TanhMlp();
        using (model)
        using (data)
        {
            var (hEig, gEig) = DenseSpectra(model, data);
            using var context = new MetricContext(model, data, Many);
            var r = HessianAndGgnMetrics(context);
            AssertWithin(r["hessian.trace"], hEig.Sum());
            AssertWithin(r["hessian.trace_normalized"], hEig.Sum() / 43);
            AssertWithin(r["hessian.frobenius_sq"], hEig.Sum(x => x * x));
            AssertClose(r["hessian.top_eigenvalue"], hEig.Max(), 1e-8);
            AssertClose(r["hessian.spectral_density"], hEig.Max(), 1e-8);
            AssertWithin(r["ggn.trace"], gEig.Sum());
            AssertWithin(r["ggn.frobenius_sq"], gEig.Sum(x => x * x));
            AssertClose(r["ggn.top_eigenvalue"], gEig.Max(), 1e-8);
            AssertWithin(r["hessian.logdet"], gEig.Sum(x => Math.Log(1 + Math.Max(x, 0) / Many.Damping)));
            Assert.Equal(43 * Math.Log(Many.Damping), r["hessian.logdet"].Terms["offset_P_ln_delta"], 1e-9);
            Assert.Equal(Many.TraceProbes, r["hessian.trace"].Cost.CurvatureProducts);
            Assert.Equal(0, r["hessian.frobenius_sq"].Cost.CurvatureProducts); // shared probes
        }
    }

    /// <summary>
    /// <c>--deflate</c>: one deflation run per operator serves λ₁, the probes (trace, Tr A², the diagonal) and SLQ, and every metric
    /// still matches the dense float64 matrices, its products charged once.
    /// </summary>
    [Fact]
    public void DeflatedMetricsMatchDenseMatrices()
    {
        using var scope = NewDisposeScope();
        var (model, data) = TanhMlp();
        using (model)
        using (data)
        {
            var (hEig, gEig) = DenseSpectra(model, data);
            var settings = Many with { TraceProbes = 200, SlqDeflate = 5 };
            using var context = new MetricContext(model, data, settings);
            var r = HessianAndGgnMetrics(context);
            AssertWithin(r["hessian.trace"], hEig.Sum());
            AssertWithin(r["hessian.frobenius_sq"], hEig.Sum(x => x * x));
            AssertWithin(r["hessian.diagonal"], hEig.Sum());
            AssertClose(r["hessian.top_eigenvalue"], hEig.Max(), 1e-8);
            AssertClose(r["hessian.spectral_density"], hEig.Max(), 1e-8);
            AssertWithin(r["ggn.trace"], gEig.Sum());
            AssertWithin(r["ggn.frobenius_sq"], gEig.Sum(x => x * x));
            AssertClose(r["ggn.top_eigenvalue"], gEig.Max(), 1e-8);
            AssertWithin(r["hessian.logdet"], gEig.Sum(x => Math.Log(1 + Math.Max(x, 0) / Many.Damping)));
            Assert.Equal("the deflation's Lanczos run", r["hessian.top_eigenvalue"].Settings["from"]);
            Assert.StartsWith("5 pairs", r["hessian.trace"].Settings["deflated"]);
            // The deflation run is one input per operator: every product the Hessian made is charged once, and no more were made than
            // one deflation run, the 200 probes and the SLQ starts (on the 38-dimensional complement, each stops by 38 steps).
            long hessianProducts = r.Values.Where(m => m.Id.StartsWith("hessian.") && m.Id != "hessian.logdet").Sum(m => m.Cost.CurvatureProducts);
            long deflationSteps = long.Parse(r["hessian.top_eigenvalue"].Settings["steps"]);
            Assert.Equal(context.Hessian.Products, hessianProducts);
            Assert.InRange(hessianProducts, 200 + deflationSteps + 2L * Many.SlqStarts, 200 + deflationSteps + 38L * Many.SlqStarts);
        }
    }

    [Fact]
    public void DiagonalMetricIsTheExactDiagonalWhenAskedFor()
    {
        using var scope = NewDisposeScope();
        var (model, data) = TanhMlp();
        using (model)
        using (data)
        {
            using var h = new HessianOperator(model, CurvatureData.FromDataset(data));
            var diag = DenseReference.Matrix(h).diagonal();
            var r = Run(model, data, new MeasureSettings { Diagonal = DiagonalEstimator.Exact }, "hessian.diagonal");
            AssertClose(r, diag.sum().item<double>(), 1e-10);
            Assert.Equal(diag.lt(0).sum().item<long>(), (long)r.Terms["negative"]);
        }
    }

    [Fact]
    public void LaplaceMetricsFollowSeed000Formulas()
    {
        using var scope = NewDisposeScope();
        var (model, data) = TanhMlp();
        using (model)
        using (data)
        {
            var settings = new MeasureSettings { LaplaceBatch = 10, LaplaceProbes = 500, TraceProbes = 600, SlqSteps = 43, SlqStarts = 40, Seed = 2 };
            var index = tensor(Shuffle.Permutation(30, settings.SeedFor(SeedStream.LaplaceBatch))[..10]);
            using var hb = new HessianOperator(model, CurvatureData.FromBatch(data.Features.index_select(0, index), data.Labels.index_select(0, index)));
            double norm = model.Module.parameters().Sum(p => p.square().sum().item<double>());
            var a = Run(model, data, settings, "pacbayes.laplace.approx");
            double batchTrace = DenseReference.Matrix(hb).trace().item<double>();
            AssertWithin(a, batchTrace + norm / 2);
            // With the default probes (8) "a" carries a standard error, and the same batch.
            var byDefault = Run(model, data, new MeasureSettings { LaplaceBatch = 10, Seed = 2 }, "pacbayes.laplace.approx");
            Assert.Equal("8", byDefault.Settings["probes"]);
            // The default's 8 probes give a wide bar (≈ 19% here): the 500-probe run above holds the tight check; this one that
            // the default is unbiased within its bar, and the bar under half the value.
            AssertWithin(byDefault, batchTrace + norm / 2, cap: 0.5);

            using var g = new GgnOperator(model, CurvatureData.FromDataset(data));
            var gEig = linalg.eigvalsh(DenseReference.Matrix(g)).data<double>().ToArray();
            using var h = new HessianOperator(model, CurvatureData.FromDataset(data));
            double loss = CrossEntropy(model, data), n = 30, delta = settings.Damping;
            double logdet = gEig.Sum(x => Math.Log(Math.Max(x, 0) + delta));
            double expected = loss + 0.5 * (1 + 1 / n) * logdet + (gEig.Sum() + delta * 43 + norm) / (2 * n);
            AssertWithin(Run(model, data, settings, "pacbayes.laplace.full"), expected);
        }
    }
}
