using Basin.Metrics;
using Basin.Operators;
using Basin.Tests.Operators;
using Xunit;
using Xunit.Abstractions;
using static Basin.Tests.Metrics.MetricTestModels;
using static TorchSharp.torch;

namespace Basin.Tests.Metrics;

/// <summary>SLQ's reported error covers its truncation: log det(I + G/δ) lands within it across seeds.</summary>
public class LogDeterminantTests(ITestOutputHelper output)
{
    private const double Delta = 1e-4;

    /// <summary>The tanh MLP and 60 samples both tests measure, and the eigenvalues of its dense float64 GGN there (the reference).</summary>
    private static (Basin.Models.Model Model, Basin.Data.Dataset Data, double[] Eigenvalues) Fixture()
    {
        var model = DenseReference.Float64("mlp:8-24-4:tanh", [8], 4, seed: 5);
        var (x, y) = DenseReference.Batch(60, [8], 4, seed: 6);
        var data = new Basin.Data.Dataset("logdet", x, y, 4);
        using var ggn = new GgnOperator(model, CurvatureData.FromDataset(data));
        using var dense = DenseReference.Matrix(ggn);
        using var values = linalg.eigvalsh(dense);
        return (model, data, values.data<double>().ToArray());
    }

    [Fact]
    public void LogDeterminantIsWithinItsReportedErrorAcrossEightSeeds()
    {
        using var scope = NewDisposeScope();
        var (model, data, eigenvalues) = Fixture();
        using var ownModel = model;
        using var ownData = data;
        double exact = eigenvalues.Sum(e => Math.Log(1 + Math.Max(e, 0) / Delta));
        int withTruncation = 0;
        for (int seed = 0; seed < 8; seed++)
        {
            var r = Run(model, data, new MeasureSettings { SlqSteps = 24, SlqStarts = 6, Damping = Delta, Seed = seed }, "hessian.logdet");
            output.WriteLine($"seed {seed}: {r.Display} (truncation {r.Terms["truncation"]:G3}) vs exact {exact:G6}");
            Assert.True(Math.Abs(r.Value - exact) <= 3 * r.StandardError, $"seed {seed}: {r.Display} vs exact {exact} (P = {eigenvalues.Length})");
            if (r.Terms["truncation"] > 0) withTruncation++;
        }
        Assert.Equal(8, withTruncation);
    }

    /// <summary>
    /// <c>--deflate</c>: the same metric from SLQ on the GGN deflated by its top pairs lands within its error of the dense value across
    /// seeds, and λ₁ — now from the deflation's run — equals the dense λ₁ within its residual.
    /// </summary>
    [Fact]
    public void DeflatedLogDeterminantAndTopEigenvalueMatchTheDenseGgn()
    {
        using var scope = NewDisposeScope();
        var (model, data, eigenvalues) = Fixture();
        using var ownModel = model;
        using var ownData = data;
        double exact = eigenvalues.Sum(e => Math.Log(1 + Math.Max(e, 0) / Delta)), top = eigenvalues.Max();
        for (int seed = 0; seed < 4; seed++)
        {
            var settings = new MeasureSettings { SlqSteps = 24, SlqStarts = 6, Damping = Delta, Seed = seed, SlqDeflate = 3 };
            using var context = new MetricContext(model, data, settings);
            var results = MetricRegistry.Measure(context, MetricRegistry.Select("hessian.logdet,ggn.top_eigenvalue"));
            var (r, lambda) = (results.Single(m => m.Id == "hessian.logdet"), results.Single(m => m.Id == "ggn.top_eigenvalue"));
            output.WriteLine($"seed {seed}: {r.Display} (truncation {r.Terms["truncation"]:G3}, {r.Settings["deflated"]}) vs exact {exact:G6}");
            Assert.StartsWith("3 pairs", r.Settings["deflated"]);
            Assert.True(Math.Abs(r.Value - exact) <= 3 * r.StandardError, $"seed {seed}: deflated {r.Display} vs exact {exact}");
            Assert.True(r.StandardError <= 0.1 * exact, $"seed {seed}: deflated {r.Display}: an error over 10% of {exact:G6} passes anything");
            Assert.Equal("the deflation's Lanczos run", lambda.Settings["from"]);
            Assert.True(Math.Abs(lambda.Value - top) <= Math.Max(lambda.StandardError, 1e-12 * top) * 1.0001, $"seed {seed}: λ₁ {lambda.Value:R} ± {lambda.StandardError:G3} vs dense {top:R}");
        }
    }
}
