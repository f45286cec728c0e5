using Basin.Data;
using Basin.Metrics;
using Basin.Models;
using Basin.Tests.Operators;
using Basin.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Basin.Tests.Metrics;

public class InvarianceTests
{
    private static readonly MeasureSettings Exact = new() { Diagonal = DiagonalEstimator.Exact, TraceProbes = 400, LanczosSteps = 40, Seed = 3, FisherSubsetSize = 20, FisherSubsets = 10 };

    private static (Model Model, Dataset Data) Setup()
    {
        var model = DenseReference.Float64("mlp:4-6-5-3:relu", [4], 3, seed: 17);
        var (x, y) = DenseReference.Batch(40, [4], 3, seed: 18);
        return (model, new Dataset("d", x, y, 3));
    }

    private static Dictionary<string, double> Measure(Model model, Dataset data, params string[] ids)
    {
        using var context = new MetricContext(model, data, Exact);
        return MetricRegistry.Measure(context, MetricRegistry.Select(string.Join(",", ids))).ToDictionary(r => r.Id, r => r.Value);
    }

    [Fact]
    public void RescalingsKeepTheFunctionAndNormalizedSharpnessButMoveHessianMetrics()
    {
        var (model, data) = Setup();
        using (model)
        using (data)
        {
            string[] ids = ["sharpness.normalized", "sharpness.matrix_normalized", "hessian.trace", "hessian.top_eigenvalue", "norm.fisher_rao"];
            using var before = model.Module.forward(data.Features).detach();
            var m0 = Measure(model, data, ids);

            Rescaling.Layers(model.Module, "1", "3", 3.0);
            using (var after = model.Module.forward(data.Features)) Assert.True(after.allclose(before, 1e-10, 1e-12), "layer rescaling changed the outputs");
            var m1 = Measure(model, data, ids);

            Rescaling.RowColumn(model.Module, "3", "5", 2, 0.2);
            Rescaling.RowColumn(model.Module, "1", "3", 0, 5.0);
            using (var after = model.Module.forward(data.Features)) Assert.True(after.allclose(before, 1e-10, 1e-12), "row/column rescaling changed the outputs");
            var m2 = Measure(model, data, ids);

            static double Rel(double a, double b) => Math.Abs(a - b) / Math.Abs(b);
            Assert.True(Rel(m1["sharpness.normalized"], m0["sharpness.normalized"]) < 1e-6, $"normalized sharpness moved under layer rescaling: {m0["sharpness.normalized"]} → {m1["sharpness.normalized"]}");
            Assert.True(Rel(m2["sharpness.normalized"], m0["sharpness.normalized"]) < 1e-6, $"normalized sharpness moved under row/column rescaling: {m0["sharpness.normalized"]} → {m2["sharpness.normalized"]}");
            Assert.True(Rel(m1["sharpness.matrix_normalized"], m0["sharpness.matrix_normalized"]) < 1e-9, "matrix-normalized sharpness moved under layer rescaling");
            Assert.True(Rel(m2["sharpness.matrix_normalized"], m0["sharpness.matrix_normalized"]) > 1e-3, "matrix-normalized sharpness should not be invariant to row/column rescaling");
            Assert.True(Rel(m1["hessian.trace"], m0["hessian.trace"]) > 0.05, $"Tr H should move under layer rescaling: {m0["hessian.trace"]} → {m1["hessian.trace"]}");
            Assert.True(Rel(m1["hessian.top_eigenvalue"], m0["hessian.top_eigenvalue"]) > 0.05, "λ1 should move under layer rescaling");
            Assert.True(Rel(m2["norm.fisher_rao"], m1["norm.fisher_rao"]) > 1e-3 || Rel(m2["hessian.trace"], m1["hessian.trace"]) > 0.05, "row/column rescaling should move the non-invariant metrics");
        }
    }

    [Fact]
    public void Seed004AppendixA1NumbersAreReproduced()
    {
        using var module = nn.Sequential(("0", nn.Linear(2, 2, hasBias: false)), ("1", nn.ReLU()), ("2", nn.Linear(2, 2, hasBias: false)));
        module.to(ScalarType.Float64);
        using (no_grad())
        {
            module.named_parameters().First(p => p.name == "0.weight").parameter.copy_(tensor(new double[] { 1, 2, 3, 4 }).reshape(2, 2));
            module.named_parameters().First(p => p.name == "2.weight").parameter.copy_(tensor(new double[] { 5, 6, 7, 8 }).reshape(2, 2));
        }
        using var x = randn(5, 2, ScalarType.Float64);
        using var before = module.forward(x).detach();
        Rescaling.RowColumn(module, "0", "2", 0, 10);
        Rescaling.RowColumn(module, "0", "2", 1, 0.1);
        var w1 = module.named_parameters().First(p => p.name == "0.weight").parameter;
        var w2 = module.named_parameters().First(p => p.name == "2.weight").parameter;
        Assert.Equal(new[] { 0.1, 0.2, 30, 40 }, w1.data<double>().ToArray().Select(v => Math.Round(v, 10)));
        Assert.Equal(new[] { 50, 0.6, 70, 0.8 }, w2.data<double>().ToArray().Select(v => Math.Round(v, 10)));
        Assert.Equal(2500.05, Math.Round(w1.square().sum().item<double>(), 2)); // eq. 42
        Assert.Equal(50.00, Math.Round(linalg.matrix_norm(w1, 2).item<double>(), 2)); // eq. 43
        // Eq. 44–45 print ‖W2‖_F² = 6101.13 and ‖W2‖₂ ≈ 78.11, but the paper's own eq. 41 matrix
        // [[50, 0.6], [70, 0.8]] has 50² + 0.6² + 70² + 0.8² = 7401 and ‖W2‖₂ ≈ 86.03 (78.11 would need a
        // first column of (50, 60)): the printed numbers do not follow from the printed matrix. The
        // matrices of eq. 38–41 are reproduced exactly above; here the norms they actually have.
        Assert.Equal(7401.00, Math.Round(w2.square().sum().item<double>(), 2));
        Assert.Equal(86.03, Math.Round(linalg.matrix_norm(w2, 2).item<double>(), 2));
        using var after = module.forward(x);
        Assert.True(after.allclose(before, 1e-10, 1e-12), "the transformed network computes another function");
    }

    [Fact]
    public void NormalizedSoftmaxCrossEntropyIgnoresLogitScaleAndShift()
    {
        using var f = randn(6, 4, ScalarType.Float64);
        using var y = tensor(new long[] { 0, 1, 2, 3, 0, 1 });
        using var reference = Losses.PerSample(LossKind.NormalizedCrossEntropy, f, y);
        using var shift = randn(6, 1, ScalarType.Float64);
        using var scaled = Losses.PerSample(LossKind.NormalizedCrossEntropy, f * 7.5 + shift, y);
        Assert.True(scaled.allclose(reference, 1e-12, 1e-12), "normalized cross-entropy changed under f → 7.5 f + c");
        using var plain = Losses.PerSample(LossKind.CrossEntropy, f * 7.5, y);
        Assert.False(plain.allclose(Losses.PerSample(LossKind.CrossEntropy, f, y)), "plain cross-entropy should change (sanity check)");
    }
}
