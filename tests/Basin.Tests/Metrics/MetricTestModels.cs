using Basin.Data;
using Basin.Metrics;
using Basin.Models;
using Basin.Tests.Operators;

namespace Basin.Tests.Metrics;

/// <summary>Tiny float64 models and data for checking metrics against dense computations.</summary>
internal static class MetricTestModels
{
    public static (Model Model, Dataset Data) TanhMlp(int samples = 30)
    {
        var model = DenseReference.Float64("mlp:4-5-3:tanh", [4], 3, seed: 41);
        var (x, y) = DenseReference.Batch(samples, [4], 3, seed: 42);
        return (model, new Dataset("tiny", x, y, 3));
    }

    public static MetricResult Run(Model model, Dataset data, MeasureSettings settings, string id)
    {
        using var context = new MetricContext(model, data, settings);
        return MetricRegistry.Measure(context, MetricRegistry.Select(id))[0];
    }

    public static void AssertWithin(MetricResult r, double truth, double sigmas = 4)
    {
        Xunit.Assert.True(double.IsFinite(r.StandardError) && r.StandardError > 0, $"{r.Id}: no standard error");
        Xunit.Assert.True(Math.Abs(r.Value - truth) <= sigmas * r.StandardError, $"{r.Id}: {r.Display} vs dense {truth}");
    }

    public static void AssertClose(MetricResult r, double truth, double relative = 1e-8) =>
        Xunit.Assert.True(Math.Abs(r.Value - truth) <= relative * Math.Max(Math.Abs(truth), 1e-300), $"{r.Id}: {r.Value} vs dense {truth}");
}
