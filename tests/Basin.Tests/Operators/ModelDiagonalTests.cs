using Basin.Estimators;
using Basin.Operators;
using Xunit;
using static TorchSharp.torch;

namespace Basin.Tests.Operators;

public class ModelDiagonalTests
{
    [Fact]
    public void FiniteDifferenceDiagonalMatchesTheExactHessianDiagonal()
    {
        using var scope = NewDisposeScope();
        using var model = DenseReference.Float64("mlp:4-6-3:tanh", [4], 3, seed: 13);
        var (x, y) = DenseReference.Batch(12, [4], 3, seed: 14);
        using var op = new HessianOperator(model, CurvatureData.FromBatch(x, y));
        using var exact = ExactDiagonal.Compute(op);
        var before = ParameterSelection.Flatten(op.Parameters.Select(p => p.detach().clone()));
        using var fd = FiniteDifferenceDiagonal.Compute(op, probes: 300, seed: 1);
        var after = ParameterSelection.Flatten(op.Parameters.Select(p => p.detach()));
        Assert.True(before.eq(after).all().item<bool>(), "finite differences did not restore the weights");
        double z = ((fd.Values - exact.Values).abs() / fd.StandardError!.clamp_min(1e-12)).mean().item<double>();
        Assert.True(z < 1.5, $"finite-difference diagonal vs exact: mean |error| / se = {z:F2}");
        double rel = DenseReference.RelativeError(fd.Values, exact.Values);
        Assert.True(rel < 0.2, $"finite-difference diagonal vs exact, rel err {rel:G3} with 300 probes");
    }

    [Fact]
    public void LossAndGradientAreTheMeanLossAndItsGradientOverEveryBatch()
    {
        using var scope = NewDisposeScope();
        using var model = DenseReference.Float64("mlp:4-5-3:tanh", [4], 3, seed: 2);
        var (x, y) = DenseReference.Batch(20, [4], 3, seed: 3);
        using var op = new HessianOperator(model, CurvatureData.FromBatch(x, y).WithBatchSize(6));   // batches of 6, 6, 6 and 2
        var (loss, gradient) = op.LossAndGradient();
        // Independently: the mean cross-entropy of all 20 samples at once, differentiated by autograd.
        var mean = nn.functional.cross_entropy(model.Module.forward(x), y);
        var reference = ParameterSelection.Flatten(autograd.grad([mean], op.Parameters.Cast<Tensor>().ToList()));
        Assert.Equal(mean.item<double>(), loss, 12);
        Assert.True(gradient.allclose(reference, 1e-12, 1e-14), $"gradient against one pass over all: {(gradient - reference).abs().max().item<double>():G3}");
        // The same numbers as the separate passes, which Keskar's ascent read before.
        Assert.Equal(op.Loss(), loss, 14);
        Assert.True(op.Gradient().allclose(gradient, 1e-14, 1e-16));
    }

    [Fact]
    public void SquaredGradientProxyIsTheSquaredMiniBatchGradient()
    {
        using var scope = NewDisposeScope();
        using var model = DenseReference.Float64("mlp:4-5-3:relu", [4], 3, seed: 2);
        var (x, y) = DenseReference.Batch(20, [4], 3, seed: 3);
        using var op = new HessianOperator(model, CurvatureData.FromBatch(x, y));
        using var single = SquaredGradientDiagonal.Compute(op, batchSize: 20, beta: 0);
        var g = op.Gradient();
        Assert.True(single.Values.allclose(g.square(), 1e-12, 1e-15), "one batch with β = 0: h = g²");
        using var averaged = SquaredGradientDiagonal.Compute(op, batchSize: 5, beta: 0.999);
        var manual = zeros_like(g);
        var weights = 0.0;
        int t = 0;
        foreach (var gb in op.MiniBatchGradients(5))
        {
            t++;
            manual = manual * 0.999 + gb.square() * 0.001;
        }
        weights = 1 - Math.Pow(0.999, t);
        Assert.Equal(4, t);
        Assert.True(averaged.Values.allclose(manual / weights, 1e-10, 1e-15), "bias-corrected EMA over 4 mini-batches");
    }

    [Fact]
    public void OperatorCallsLeakNoTensors()
    {
        using var model = DenseReference.Float64("mlp:4-5-3:tanh", [4], 3, seed: 2);
        var (x, y) = DenseReference.Batch(20, [4], 3, seed: 3);
        using var data = new Basin.Data.Dataset("d", x, y, 3);
        using var v = ones(model.ParameterCount, ScalarType.Float64);
        foreach (var single in new[] { true, false })
        {
            var curvature = single ? CurvatureData.FromBatch(data.Features, data.Labels) : CurvatureData.FromDataset(data, 8);
            using var h = new HessianOperator(model, curvature);
            using var g = new GgnOperator(model, curvature);
            using var f = new EmpiricalFisherOperator(model, curvature);
            var calls = new (string, Action)[]
            {
                ("Hessian.Apply", () => h.Apply(v).Dispose()),
                ("Ggn.Apply", () => g.Apply(v).Dispose()),
                ("Fisher.Apply", () => f.Apply(v).Dispose()),
                ("Gradient", () => h.Gradient().Dispose()),
                ("Loss", () => h.Loss()),
                ("Lanczos on Hessian", () => Lanczos.TopEigenvalues(h, 1, steps: 4)),
            };
            foreach (var (name, call) in calls)
            {
                call();
                long before = TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount;
                call();
                long after = TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount;
                Assert.True(after == before, $"{name} ({(single ? "one batch" : "streamed")}) leaked {after - before} tensors");
            }
        }
    }
}
