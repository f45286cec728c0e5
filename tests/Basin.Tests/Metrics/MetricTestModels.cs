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

    /// <summary>
    /// Per-sample gradients at the true labels, one autograd call per sample on the plain cross-entropy,
    /// rows in parameter order: a reference written without Basin's per-sample or loss code.
    /// </summary>
    public static TorchSharp.torch.Tensor PerSampleReference(Model model, TorchSharp.torch.Tensor x, TorchSharp.torch.Tensor y)
    {
        var parameters = model.Module.parameters().ToArray();
        var rows = new List<TorchSharp.torch.Tensor>();
        for (long i = 0; i < x.shape[0]; i++)
        {
            var logits = model.Module.forward(x.narrow(0, i, 1));
            var loss = TorchSharp.torch.nn.functional.cross_entropy(logits, y.narrow(0, i, 1));
            var grads = TorchSharp.torch.autograd.grad([loss], parameters);
            rows.Add(TorchSharp.torch.cat(grads.Select(g => g.reshape(-1)).ToArray()));
        }
        return TorchSharp.torch.stack(rows);
    }

    /// <summary>The mean plain cross-entropy of <paramref name="model"/> on <paramref name="data"/>, computed directly.</summary>
    public static double CrossEntropy(Model model, Dataset data)
    {
        using var noGrad = TorchSharp.torch.no_grad();
        return TorchSharp.torch.nn.functional.cross_entropy(model.Module.forward(data.Features), data.Labels).item<double>();
    }

    public static MetricResult Run(Model model, Dataset data, MeasureSettings settings, string id)
    {
        using var context = new MetricContext(model, data, settings);
        return MetricRegistry.Measure(context, MetricRegistry.Select(id))[0];
    }

    /// <summary>
    /// The estimate is within <paramref name="sigmas"/> of its own standard errors of the dense value, and that error bar is
    /// itself at most <paramref name="cap"/> of the value: a metric that inflated its error to pass fails the cap.
    /// </summary>
    public static void AssertWithin(MetricResult r, double truth, double sigmas = 4, double cap = 0.15)
    {
        Xunit.Assert.True(double.IsFinite(r.StandardError) && r.StandardError > 0, $"{r.Id}: no standard error");
        Xunit.Assert.True(r.StandardError <= cap * Math.Abs(truth), $"{r.Id}: standard error {r.StandardError:G3} is more than {cap:P0} of the dense {truth:G6}: too wide to test against");
        Xunit.Assert.True(Math.Abs(r.Value - truth) <= sigmas * r.StandardError, $"{r.Id}: {r.Display} vs dense {truth}");
    }

    public static void AssertClose(MetricResult r, double truth, double relative = 1e-8) =>
        Xunit.Assert.True(Math.Abs(r.Value - truth) <= relative * Math.Max(Math.Abs(truth), 1e-300), $"{r.Id}: {r.Value} vs dense {truth}");
}
