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
    [Fact]
    public void LogDeterminantIsWithinItsReportedErrorAcrossEightSeeds()
    {
        using var scope = NewDisposeScope();
        using var model = DenseReference.Float64("mlp:8-24-4:tanh", [8], 4, seed: 5);
        var (x, y) = DenseReference.Batch(60, [8], 4, seed: 6);
        using var data = new Basin.Data.Dataset("logdet", x, y, 4);
        using var ggn = new GgnOperator(model, CurvatureData.FromDataset(data));
        const double delta = 1e-4;
        var eigenvalues = linalg.eigvalsh(DenseReference.Matrix(ggn)).data<double>().ToArray();
        double exact = eigenvalues.Sum(e => Math.Log(1 + Math.Max(e, 0) / delta));
        int withTruncation = 0;
        for (int seed = 0; seed < 8; seed++)
        {
            var r = Run(model, data, new MeasureSettings { SlqSteps = 24, SlqStarts = 6, Damping = delta, Seed = seed }, "hessian.logdet");
            output.WriteLine($"seed {seed}: {r.Display} (truncation {r.Terms["truncation"]:G3}) vs exact {exact:G6}");
            Assert.True(Math.Abs(r.Value - exact) <= 3 * r.StandardError, $"seed {seed}: {r.Display} vs exact {exact} (P = {eigenvalues.Length})");
            if (r.Terms["truncation"] > 0) withTruncation++;
        }
        Assert.Equal(8, withTruncation);
    }
}
