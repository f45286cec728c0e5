using Basin.Models;
using Basin.Training;
using TorchSharp;
using Basin.Operators;
using Xunit;
using static TorchSharp.torch;

namespace Basin.Tests.Operators;

/// <summary>The exact GGN diagonal against the diagonal of the dense float64 GGN.</summary>
public class GgnDiagonalTests
{
    [Theory]
    [InlineData("mlp:4-6-3", 3)]
    [InlineData("softmax", 3)]
    [InlineData("mlp:4-5-1", 2)]
    public void DiagonalMatchesTheDenseGgn(string spec, int classes)
    {
        // mlp:4-5-1 is a binary classifier with the exponential loss of seed 002 (one output, labels 0/1).
        bool exponential = spec.EndsWith("-1", StringComparison.Ordinal);
        using var built = DenseReference.Float64(spec, [4], exponential ? 1 : classes, seed: 4);
        var model = exponential ? built with { Loss = LossKind.Exponential } : built;
        var (x, y) = DenseReference.Batch(300, [4], classes, seed: 6);
        // Several batches and chunks, so that the streaming and the averaging over N are exercised.
        var data = CurvatureData.FromDataset(new Basin.Data.Dataset("d", x, y, classes), batchSize: 128);
        using var op = new GgnOperator(model, data);
        var (values, passes) = GgnDiagonal.Compute(op, chunk: 50);
        var dense = DenseReference.Matrix(op).diagonal();
        double err = DenseReference.RelativeError(values, dense);
        Assert.True(err < 1e-10, $"{spec} ({model.Loss}): exact GGN diagonal vs diagonal of the dense GGN, rel err {err:G3}");
        Assert.True(values.ge(0).all().item<bool>(), "a GGN diagonal entry is negative");
        Assert.Equal(300L * (model.Loss == LossKind.Exponential ? 1 : classes), passes);
    }

    [Fact]
    public void ConvolutionsAndBatchNormMatchTheDenseGgn()
    {
        using var model = DenseReference.TinyCnn(seed: 3);
        model.Module.eval();
        var (x, y) = DenseReference.Batch(40, [1, 5, 5], 3, seed: 2);
        using var op = new GgnOperator(model, CurvatureData.FromBatch(x, y));
        var (values, _) = GgnDiagonal.Compute(op, chunk: 16);
        double err = DenseReference.RelativeError(values, DenseReference.Matrix(op).diagonal());
        Assert.True(err < 1e-10, $"tiny CNN: exact GGN diagonal vs dense, rel err {err:G3}");
    }
}

/// <summary>The sum of squared per-sample gradients without the per-sample matrix.</summary>
public class SquaredSumTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SquaredSumEqualsTheSumOfSquaredRows(bool train)
    {
        using var model = DenseReference.TinyCnn(seed: 5);
        model.Module.train(train); // batch norm in train mode forces the loop
        var (x, y) = DenseReference.Batch(12, [1, 5, 5], 3, seed: 9);
        var named = model.Module.named_parameters().Select(p => (p.name, p.parameter)).ToArray();
        var (rows, method) = PerSampleGradients.Compute(model, named, x, y);
        var (squares, squaredMethod) = PerSampleGradients.SquaredSum(model, named, x, y, (f, l) => Losses.PerSample(model.Loss, f, l));
        Assert.Equal(method, squaredMethod);
        Assert.Equal(train ? PerSampleMethod.Loop : PerSampleMethod.Batched, method);
        double err = DenseReference.RelativeError(squares, rows.square().sum([0]));
        Assert.True(err < 1e-12, $"Σ g_i² without the matrix vs from it ({method}), rel err {err:G3}");
    }
}

/// <summary>The per-sample reductions of <see cref="LayerPerSample"/>, factored and in blocks, against the loop's matrix.</summary>
public class LayerPerSampleTests
{
    /// <summary>Convolutions with 36, 9 and 1 output positions, batch norm and a linear head, in float64.</summary>
    internal static Model Positions(int outputs = 3)
    {
        var module = nn.Sequential(("0", nn.Conv2d(1, 3, 3, padding: 1)), ("1", nn.Tanh()), ("2", nn.Conv2d(3, 4, 3, stride: 2, padding: 1)), ("3", nn.BatchNorm2d(4)),
            ("4", nn.Tanh()), ("5", nn.Conv2d(4, 5, 3)), ("6", nn.Flatten()), ("7", nn.Linear(5, outputs)));
        SeededInit.Apply(module, 11);
        module.to(ScalarType.Float64);
        module.eval();
        // One output: seed 002's exponential loss on two classes.
        return new Model(module, "positions", outputs == 1 ? LossKind.Exponential : LossKind.CrossEntropy, "test model") { InputShape = [1, 6, 6], Outputs = outputs };
    }

    [Theory]
    [InlineData(true, null)]
    [InlineData(false, null)]
    [InlineData(false, 200L)]
    [InlineData(null, null)]
    public void GramAndSquaredSumsEqualThoseOfTheLoopsMatrix(bool? factored, long? blockBytes)
    {
        using var scope = NewDisposeScope();
        using var model = Positions();
        var (x, y) = DenseReference.Batch(9, [1, 6, 6], 3, seed: 4);
        var named = model.Module.named_parameters().Select(p => (p.name, p.parameter)).ToArray();
        var w = cat(named.Select(p => p.parameter.flatten()).ToArray()).detach();
        var (rows, _) = PerSampleGradients.Compute(model, named, x, y, forceLoop: true);
        LayerPerSample.Overrides = (factored, blockBytes);
        try
        {
            var (gram, rao, method) = PerSampleGradients.Gram(model, named, x, y, w);
            var (squares, _) = PerSampleGradients.SquaredSum(model, named, x, y, (f, l) => Losses.PerSample(model.Loss, f, l));
            Assert.Equal(PerSampleMethod.Batched, method);
            string form = $"factored {factored?.ToString() ?? "by cost"}, blocks of {blockBytes?.ToString() ?? "64 MiB"}";
            double gramErr = DenseReference.RelativeError(gram, rows.matmul(rows.t()));
            Assert.True(gramErr < 1e-12, $"Gram g_iᵀg_j layer by layer ({form}) vs J Jᵀ of the loop, rel err {gramErr:G3}");
            double raoErr = DenseReference.RelativeError(rao, (rows * w).square().sum([1]));
            Assert.True(raoErr < 1e-12, $"‖w ⊙ g_i‖² ({form}) vs the loop's rows, rel err {raoErr:G3}");
            double squareErr = DenseReference.RelativeError(squares, rows.square().sum([0]));
            Assert.True(squareErr < 1e-12, $"Σ g_i² ({form}) vs the loop's rows, rel err {squareErr:G3}");
        }
        finally
        {
            LayerPerSample.Overrides = (null, null);
        }
    }

    [Fact]
    public void FactoredProductsEqualThoseOfTheLoopsMatrix()
    {
        using var scope = NewDisposeScope();
        using var model = Positions();
        var (x, y) = DenseReference.Batch(9, [1, 6, 6], 3, seed: 5);
        var named = model.Module.named_parameters().Select(p => (p.name, p.parameter)).ToArray();
        var (rows, _) = PerSampleGradients.Compute(model, named, x, y, forceLoop: true);
        using var factors = PerSampleFactors.TryCreate(model, named, x, y);
        Assert.NotNull(factors);
        using var g = new Generator(8);
        var v = randn([rows.shape[1]], ScalarType.Float64, generator: g);
        var u = randn([9], ScalarType.Float64, generator: g);
        var pieces = ParameterSelection.Split(v, named.Select(p => (Tensor)p.parameter).ToArray());
        double jv = DenseReference.RelativeError(factors!.Project(pieces).view(-1), rows.mv(v));
        Assert.True(jv < 1e-12, $"J v from each layer's input and output gradient vs the loop's rows, rel err {jv:G3}");
        var combined = ParameterSelection.Flatten(factors.Combine(u, named.Select(p => (Tensor)p.parameter).ToArray()));
        double jtu = DenseReference.RelativeError(combined, rows.t().mv(u));
        Assert.True(jtu < 1e-12, $"Jᵀ u from the factors vs the loop's rows, rel err {jtu:G3}");
    }

    [Theory]
    [InlineData(3)]
    [InlineData(1)]
    public void FactoredGgnProductsEqualTheDenseGgnAndTheGraphs(int outputs)
    {
        // A conv / batch norm / linear model in float64: softmax cross-entropy (3 factor columns), or one output with the
        // exponential loss (1 column).
        using var scope = NewDisposeScope();
        using var model = Positions(outputs);
        string spec = model.Loss.ToString();
        var (x, y) = DenseReference.Batch(9, model.InputShape, outputs == 1 ? 2 : 3, seed: 6);
        using var g = new Generator(12);
        var v = randn([model.ParameterCount], ScalarType.Float64, generator: g);
        using var factoredOp = new GgnOperator(model, CurvatureData.FromBatch(x, y));
        var first = factoredOp.Apply(v);
        Assert.Equal(1, factoredOp.FactoredBatches);
        if (model.Loss == LossKind.CrossEntropy)
        {
            // Explicit Jacobians and diag p − p pᵀ: independent of the output Hessian's factors.
            double err = DenseReference.RelativeError(first, DenseReference.Ggn(model, x).mv(v));
            Assert.True(err < 1e-12, $"{spec}: G v from factored per-sample Jacobians vs the dense float64 GGN, rel err {err:G3}");
        }
        double again = DenseReference.RelativeError(factoredOp.Apply(v * 3), first * 3);
        Assert.True(again < 1e-12, $"{spec}: second factored product (3 v) vs 3 × the first, rel err {again:G3}");
        GgnOperator.Factored = false;
        try
        {
            using var graphs = new GgnOperator(model, CurvatureData.FromBatch(x, y));
            double byGraphs = DenseReference.RelativeError(graphs.Apply(v), first);
            Assert.Equal(0, graphs.FactoredBatches);
            Assert.True(byGraphs < 1e-12, $"{spec}: factored vs double-backward graphs, rel err {byGraphs:G3}");
        }
        finally
        {
            GgnOperator.Factored = true;
        }
    }

    [Fact]
    public void TheFactoredSettingIsOnOrOff()
    {
        Assert.Equal(new[] { true, true, true, false }, new[] { null, "", "on", "off" }.Select(GgnOperator.ParseSetting));
        var e = Assert.Throws<ArgumentException>(() => GgnOperator.ParseSetting("yes"));
        Assert.Contains("BASIN_GGN_FACTORED must be 'on' or 'off'", e.Message);
    }
}
