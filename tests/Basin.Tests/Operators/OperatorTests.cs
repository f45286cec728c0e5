using Basin.Models;
using Basin.Operators;
using Basin.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Basin.Tests.Operators;

public class OperatorTests
{
    private const double Tol = 1e-10;

    [Theory]
    [InlineData("mlp:4-5-3:relu")]
    [InlineData("mlp:4-6-5-3:tanh")]
    public void HessianMatchesRowByRowReferenceOnMlps(string spec)
    {
        using var scope = NewDisposeScope();
        using var model = DenseReference.Float64(spec, [4], 3, seed: 3);
        var (x, y) = DenseReference.Batch(9, [4], 3, seed: 1);
        using var op = new HessianOperator(model, CurvatureData.FromBatch(x, y));
        var h = DenseReference.Matrix(op);
        var reference = DenseReference.Hessian(model, x, y);
        double err = DenseReference.RelativeError(h, reference);
        Assert.True(err < Tol, $"{spec}: Hv columns vs row-by-row dense Hessian, rel err {err:G3}");
        Assert.True(DenseReference.RelativeError(h, h.t()) < Tol, "Hessian from products is not symmetric");
    }

    [Fact]
    public void SoftmaxRegressionHessianMatchesTheClosedForm()
    {
        using var scope = NewDisposeScope();
        const int n = 7, d = 3, k = 3;
        using var model = DenseReference.Float64("softmax", [d], k, seed: 2);
        var (x, y) = DenseReference.Batch(n, [d], k, seed: 4);
        using var op = new HessianOperator(model, CurvatureData.FromBatch(x, y));
        var h = DenseReference.Matrix(op);
        // Parameters are W [K, D] (row-major) then b [K]: H = (1/N) Σ Λ_i ⊗ [x_i; 1][x_i; 1]ᵀ re-ordered.
        var p = nn.functional.softmax(model.Module.forward(x), 1).detach();
        var closed = zeros(k * d + k, k * d + k, ScalarType.Float64);
        for (int i = 0; i < n; i++)
        {
            var lambda = diag(p[i]) - outer(p[i], p[i]);
            var xi = x[i];
            closed[..(k * d), ..(k * d)] += kron(lambda, outer(xi, xi)) / n;
            closed[..(k * d), (k * d)..] += kron(lambda, xi.unsqueeze(1)) / n;
            closed[(k * d).., ..(k * d)] += kron(lambda, xi.unsqueeze(0)) / n;
            closed[(k * d).., (k * d)..] += lambda / n;
        }
        double err = DenseReference.RelativeError(h, closed);
        Assert.True(err < Tol, $"softmax regression: Hv vs (1/N) Σ (diag p − ppᵀ) ⊗ x xᵀ, rel err {err:G3}");
        using var ggn = new GgnOperator(model, CurvatureData.FromBatch(x, y));
        Assert.True(DenseReference.RelativeError(DenseReference.Matrix(ggn), closed) < Tol, "for a linear model the GGN is the Hessian");
    }

    [Fact]
    public void DeepLinearHessianMatchesTheClosedForm()
    {
        using var scope = NewDisposeScope();
        using var model = DenseReference.Float64("deeplinear:3", [1], 2, seed: 5);
        double xv = 0.7;
        var x = tensor(new[] { xv }, ScalarType.Float64).reshape(1, 1);
        var y = tensor(new long[] { 0 });
        using var op = new HessianOperator(model, CurvatureData.FromBatch(x, y));
        var h = DenseReference.Matrix(op);
        var w = model.Module.parameters().Select(p => p.item<double>()).ToArray();
        double loss = Math.Exp(xv * w[0] * w[1] * w[2]);
        var closed = new double[3, 3];
        for (int i = 0; i < 3; i++)
        {
            for (int j = 0; j < 3; j++)
            {
                double pi = Enumerable.Range(0, 3).Where(q => q != i).Aggregate(1.0, (a, q) => a * w[q]);
                double pj = Enumerable.Range(0, 3).Where(q => q != j).Aggregate(1.0, (a, q) => a * w[q]);
                closed[i, j] = xv * xv * pi * pj * loss + (i != j ? xv * w[3 - i - j] * loss : 0);
            }
        }
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                Assert.True(Math.Abs(h[i, j].item<double>() - closed[i, j]) < 1e-12 * Math.Abs(closed[i, j]) + 1e-14, $"H[{i},{j}] = {h[i, j].item<double>()} vs closed form {closed[i, j]}");
    }

    [Fact]
    public void OperatorsMatchDenseReferencesOnASmallCnnWithBatchNorm()
    {
        using var scope = NewDisposeScope();
        using var model = DenseReference.TinyCnn(seed: 1);
        model.Module.eval(); // the references below run the model as the operators do (batch norm in eval mode)
        var (x, y) = DenseReference.Batch(6, [1, 5, 5], 3, seed: 8);
        using var hessian = new HessianOperator(model, CurvatureData.FromBatch(x, y));
        double errH = DenseReference.RelativeError(DenseReference.Matrix(hessian), DenseReference.Hessian(model, x, y));
        Assert.True(errH < Tol, $"CNN+BN (eval): Hv vs dense Hessian, rel err {errH:G3}");
        using var ggn = new GgnOperator(model, CurvatureData.FromBatch(x, y));
        double errG = DenseReference.RelativeError(DenseReference.Matrix(ggn), DenseReference.Ggn(model, x));
        Assert.True(errG < Tol, $"CNN+BN (eval): GGN products vs explicit JᵀΛJ, rel err {errG:G3}");
    }

    [Fact]
    public void GgnMatchesExplicitJacobiansAndIsPositiveSemidefinite()
    {
        using var scope = NewDisposeScope();
        using var model = DenseReference.Float64("mlp:4-6-3:tanh", [4], 3, seed: 7);
        var (x, y) = DenseReference.Batch(8, [4], 3, seed: 2);
        using var op = new GgnOperator(model, CurvatureData.FromBatch(x, y));
        var g = DenseReference.Matrix(op);
        double err = DenseReference.RelativeError(g, DenseReference.Ggn(model, x));
        Assert.True(err < Tol, $"GGN products vs (1/N) Σ J_iᵀ Λ_i J_i, rel err {err:G3}");
        var eigenvalues = linalg.eigvalsh(g);
        Assert.True(eigenvalues.min().item<double>() > -1e-12, $"GGN has eigenvalue {eigenvalues.min().item<double>():G3} < 0");
    }

    [Fact]
    public void EmpiricalFisherAndPerSampleGradientsMatchTheLoop()
    {
        using var scope = NewDisposeScope();
        foreach (var (model, shape) in new[] { (DenseReference.Float64("mlp:4-6-3:relu", [4], 3, 1), new long[] { 4 }), (DenseReference.TinyCnn(2), new long[] { 1, 5, 5 }) })
        {
            using (model)
            {
                model.Module.eval();
                var (x, y) = DenseReference.Batch(7, shape, 3, seed: 3);
                var named = model.Module.named_parameters().Select(p => (p.name, p.parameter)).ToArray();
                var (fast, method) = PerSampleGradients.Compute(model, named, x, y);
                var (loop, _) = PerSampleGradients.Compute(model, named, x, y, forceLoop: true);
                Assert.Equal(PerSampleMethod.Batched, method);
                Assert.True(DenseReference.RelativeError(fast, loop) < Tol, $"{model.Spec}: batched per-sample gradients vs loop, rel err {DenseReference.RelativeError(fast, loop):G3}");
                foreach (bool unfold in new[] { true, false }) // both forms of a convolution's per-sample weight gradients
                {
                    PerSampleGradients.ConvByUnfold = unfold;
                    try
                    {
                        var (form, _) = PerSampleGradients.Compute(model, named, x, y);
                        Assert.True(DenseReference.RelativeError(form, loop) < Tol, $"{model.Spec}: per-sample gradients ({(unfold ? "unfold" : "grouped conv")}) vs loop, rel err {DenseReference.RelativeError(form, loop):G3}");
                    }
                    finally
                    {
                        PerSampleGradients.ConvByUnfold = null;
                    }
                }
                using var fisher = new EmpiricalFisherOperator(model, CurvatureData.FromBatch(x, y));
                var f = DenseReference.Matrix(fisher);
                var reference = loop.t().matmul(loop) / 7;
                Assert.True(DenseReference.RelativeError(f, reference) < Tol, $"{model.Spec}: Fisher products vs (1/N) GᵀG");
            }
        }
    }
}
