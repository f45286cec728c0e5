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
                using var fisher = new EmpiricalFisherOperator(model, CurvatureData.FromBatch(x, y));
                var f = DenseReference.Matrix(fisher);
                var reference = loop.t().matmul(loop) / 7;
                Assert.True(DenseReference.RelativeError(f, reference) < Tol, $"{model.Spec}: Fisher products vs (1/N) GᵀG");
            }
        }
    }

    [Fact]
    public void ProductsAreSymmetricInTheBilinearForm()
    {
        using var scope = NewDisposeScope();
        using var model = DenseReference.Float64("mlp:4-8-3:relu", [4], 3, seed: 11);
        var (x, y) = DenseReference.Batch(10, [4], 3, seed: 12);
        foreach (CurvatureOperator op in new CurvatureOperator[] { new HessianOperator(model, CurvatureData.FromBatch(x, y)), new GgnOperator(model, CurvatureData.FromBatch(x, y)) })
        {
            using (op)
            {
                using var g = new Generator(5);
                var u = randn([op.Dimension], ScalarType.Float64, generator: g);
                var v = randn([op.Dimension], ScalarType.Float64, generator: g);
                double uav = u.dot(op.Apply(v)).item<double>(), vau = v.dot(op.Apply(u)).item<double>();
                Assert.True(Math.Abs(uav - vau) < 1e-12 * Math.Max(1, Math.Abs(uav)), $"{op.GetType().Name}: uᵀAv = {uav} but vᵀAu = {vau}");
            }
        }
    }

    [Fact]
    public void StreamedOperatorEqualsTheConcatenatedBatch()
    {
        using var scope = NewDisposeScope();
        using var model = DenseReference.Float64("mlp:4-6-3:tanh", [4], 3, seed: 4);
        var (x, y) = DenseReference.Batch(50, [4], 3, seed: 6);
        using var data = new Basin.Data.Dataset("d", x.clone(), y.clone(), 3);
        using var g = new Generator(1);
        var v = randn([model.ParameterCount], ScalarType.Float64, generator: g);
        using var whole = new HessianOperator(model, CurvatureData.FromBatch(x, y));
        using var streamed = new HessianOperator(model, CurvatureData.FromDataset(data, batchSize: 16));
        Assert.True(DenseReference.RelativeError(streamed.Apply(v), whole.Apply(v)) < 1e-12, "Hessian over 4 batches (16,16,16,2) vs one batch of 50");
        using var wholeG = new GgnOperator(model, CurvatureData.FromBatch(x, y));
        using var streamedG = new GgnOperator(model, CurvatureData.FromDataset(data, batchSize: 16));
        Assert.True(DenseReference.RelativeError(streamedG.Apply(v), wholeG.Apply(v)) < 1e-12, "GGN streamed vs concatenated");
        using var wholeF = new EmpiricalFisherOperator(model, CurvatureData.FromBatch(x, y));
        using var streamedF = new EmpiricalFisherOperator(model, CurvatureData.FromDataset(data, batchSize: 16));
        Assert.True(DenseReference.RelativeError(streamedF.Apply(v), wholeF.Apply(v)) < 1e-12, "Fisher streamed vs concatenated");
    }

    [Fact]
    public void LayerSelectionGivesTheDiagonalBlock()
    {
        using var scope = NewDisposeScope();
        using var model = DenseReference.Float64("mlp:4-5-3:tanh", [4], 3, seed: 9);
        var (x, y) = DenseReference.Batch(9, [4], 3, seed: 10);
        using var full = new HessianOperator(model, CurvatureData.FromBatch(x, y));
        using var layer = new HessianOperator(model, CurvatureData.FromBatch(x, y), new OperatorOptions(Layer: "3"));
        Assert.Equal(18, layer.Dimension); // 3.weight [3, 5] and 3.bias [3]
        var block = DenseReference.Matrix(full)[(25)..(43), (25)..(43)];
        Assert.True(DenseReference.RelativeError(DenseReference.Matrix(layer), block) < Tol, "layer-3 Hessian vs the block of the full Hessian");
        Assert.Contains("layers: 1, 3", Assert.Throws<ArgumentException>(() => new HessianOperator(model, CurvatureData.FromBatch(x, y), new OperatorOptions(Layer: "7"))).Message);
    }

    [Fact]
    public void BadVectorsAndDataAreRefusedBeforeNativeCode()
    {
        using var scope = NewDisposeScope();
        using var model = DenseReference.Float64("mlp:4-5-3", [4], 3, seed: 1);
        var (x, y) = DenseReference.Batch(5, [4], 3, seed: 1);
        using var op = new HessianOperator(model, CurvatureData.FromBatch(x, y));
        Assert.Contains("dimension 43", Assert.Throws<ArgumentException>(() => op.Apply(zeros(42, ScalarType.Float64))).Message);
        Assert.Contains("dtype", Assert.Throws<ArgumentException>(() => op.Apply(zeros(43, ScalarType.Float32))).Message);
        var (wrongX, wrongY) = DenseReference.Batch(5, [6], 3, seed: 1);
        Assert.Contains("takes 4", Assert.Throws<ArgumentException>(() => new HessianOperator(model, CurvatureData.FromBatch(wrongX, wrongY))).Message);
        Assert.Throws<ArgumentException>(() => CurvatureData.FromBatch(x, y.narrow(0, 0, 3)));
    }
}

public class OperatorModeTests
{
    [Fact]
    public void SquaredErrorGgnIsJtJOverN()
    {
        using var scope = NewDisposeScope();
        using var built = DenseReference.Float64("mlp:4-6-3:tanh", [4], 3, seed: 21);
        var model = built with { Loss = Basin.Models.LossKind.MeanSquaredError };
        var (x, y) = DenseReference.Batch(7, [4], 3, seed: 22);
        using var op = new GgnOperator(model, CurvatureData.FromBatch(x, y));
        var j = DenseReference.Jacobians(model, x);
        var reference = j.transpose(1, 2).matmul(j).mean([0]);
        double err = DenseReference.RelativeError(DenseReference.Matrix(op), reference);
        Assert.True(err < 1e-10, $"MSE GGN vs (1/N) Σ J_iᵀ J_i, rel err {err:G3}");
    }

    [Fact]
    public void BatchNormTrainModeIsUsedOnlyOnRequest()
    {
        using var scope = NewDisposeScope();
        using var model = DenseReference.TinyCnn(seed: 5);
        var (x, y) = DenseReference.Batch(6, [1, 5, 5], 3, seed: 6);
        using var eval = new HessianOperator(model, CurvatureData.FromBatch(x, y));
        using var train = new HessianOperator(model, CurvatureData.FromBatch(x, y), new OperatorOptions(TrainModeBatchNorm: true));
        var statistics = model.Module.buffers().Select(b => b.clone()).ToArray();
        var hEval = DenseReference.Matrix(eval);
        var hTrain = DenseReference.Matrix(train);
        var after = model.Module.buffers().ToArray();
        for (int i = 0; i < statistics.Length; i++) Assert.True(after[i].eq(statistics[i]).all().item<bool>(), "a train-mode product changed the running statistics");
        model.Module.train();
        var reference = DenseReference.Hessian(model, x, y);
        Assert.True(DenseReference.RelativeError(hTrain, reference) < 1e-10, "train-mode operator vs dense Hessian with batch statistics");
        Assert.True(DenseReference.RelativeError(hEval, reference) > 1e-3, "eval-mode and train-mode curvature should differ with these running statistics");
        Assert.True(model.Module.training, "the operator changed the model's mode");
    }
}

public class OperatorCacheTests
{
    [Fact]
    public void ProductsFollowWeightsChangedInPlace()
    {
        using var scope = NewDisposeScope();
        using var model = DenseReference.Float64("mlp:4-6-3:tanh", [4], 3, seed: 31);
        var (x, y) = DenseReference.Batch(9, [4], 3, seed: 32);
        using var h = new HessianOperator(model, CurvatureData.FromBatch(x, y));
        using var g = new GgnOperator(model, CurvatureData.FromBatch(x, y));
        using var f = new EmpiricalFisherOperator(model, CurvatureData.FromBatch(x, y));
        var v = ones(h.Dimension, ScalarType.Float64);
        foreach (CurvatureOperator op in new CurvatureOperator[] { h, g, f }) op.Apply(v); // caches built
        using (no_grad()) foreach (var p in model.Module.parameters()) p.mul_(1.5);
        using var freshH = new HessianOperator(model, CurvatureData.FromBatch(x, y));
        using var freshG = new GgnOperator(model, CurvatureData.FromBatch(x, y));
        using var freshF = new EmpiricalFisherOperator(model, CurvatureData.FromBatch(x, y));
        Assert.True(DenseReference.RelativeError(h.Apply(v), freshH.Apply(v)) < 1e-12, "Hessian product after an in-place weight change vs a fresh operator");
        Assert.True(DenseReference.RelativeError(g.Apply(v), freshG.Apply(v)) < 1e-12, "GGN product after an in-place weight change");
        Assert.True(DenseReference.RelativeError(f.Apply(v), freshF.Apply(v)) < 1e-12, "Fisher product after an in-place weight change");
    }
}

public class FlattenTests
{
    [Fact]
    public void FlattenNeverAliasesItsInput()
    {
        using var p = tensor(new double[] { 1, 2, 3 });
        using var flat = ParameterSelection.Flatten([p]);
        p.add_(1);
        Assert.Equal(new double[] { 1, 2, 3 }, flat.data<double>().ToArray());
    }
}

public class ConvPerSampleTests
{
    [Theory]
    [InlineData(1, 1, 3)]
    [InlineData(2, 1, 3)]
    [InlineData(2, 0, 3)]
    [InlineData(3, 2, 5)]
    public void BatchedConvolutionGradientsMatchTheLoop(int stride, int padding, int kernel)
    {
        using var scope = NewDisposeScope();
        var module = nn.Sequential(("0", nn.Conv2d(2, 3, kernel, stride: stride, padding: padding)), ("1", nn.ReLU()), ("2", nn.Flatten()));
        long side = (9 + 2 * padding - kernel) / stride + 1;
        var head = nn.Linear(3 * side * side, 4);
        var full = nn.Sequential(("0", module), ("1", head));
        Basin.Models.SeededInit.Apply(full, 2);
        full.to(ScalarType.Float64);
        using var model = new Basin.Models.Model(full, "conv", Basin.Models.LossKind.CrossEntropy, "test") { InputShape = [2, 9, 9], Outputs = 4 };
        var (x, y) = DenseReference.Batch(5, [2, 9, 9], 4, seed: stride * 10 + padding);
        var named = full.named_parameters().Select(p => (p.name, p.parameter)).ToArray();
        var (fast, method) = PerSampleGradients.Compute(model, named, x, y);
        var (loop, _) = PerSampleGradients.Compute(model, named, x, y, forceLoop: true);
        Assert.Equal(PerSampleMethod.Batched, method);
        Assert.True(DenseReference.RelativeError(fast, loop) < 1e-10, $"stride {stride}, padding {padding}, kernel {kernel}: rel err {DenseReference.RelativeError(fast, loop):G3}");
    }
}
