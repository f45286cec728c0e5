using Basin.Models;
using Basin.Operators;
using Basin.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Basin.Tests.Operators;

/// <summary>Properties every operator keeps: symmetry, streaming, layer blocks, input checks, batch-norm modes, weights changed in place, batched per-sample gradients.</summary>
public class OperatorBehaviourTests
{
    private const double Tol = 1e-10;

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

        // One batch too large to keep its per-sample gradients: kept factored (each layer's input and output gradient), or the
        // cached double-backward graph; each twice (reused).
        long limit = EmpiricalFisherOperator.MaxCachedElements;
        try
        {
            EmpiricalFisherOperator.MaxCachedElements = 0;
            foreach (bool factored in new[] { true, false })
            {
                EmpiricalFisherOperator.Factored = factored;
                string form = factored ? "factored per-sample gradients" : "the cached Jacobian graph";
                using var bigF = new EmpiricalFisherOperator(model, CurvatureData.FromBatch(x, y));
                Assert.True(DenseReference.RelativeError(bigF.Apply(v), wholeF.Apply(v)) < 1e-12, $"Fisher by {form} vs per-sample gradients");
                Assert.True(DenseReference.RelativeError(bigF.Apply(v * 2), wholeF.Apply(v * 2)) < 1e-12, $"Fisher by {form}, second product");
            }
        }
        finally
        {
            EmpiricalFisherOperator.Factored = true;
            EmpiricalFisherOperator.MaxCachedElements = limit;
        }
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
