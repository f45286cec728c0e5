using Basin.Models;
using Basin.Operators;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Basin.Tests.Operators;

/// <summary>Convolutions run as unfold + GEMM in curvature graphs give the products of libtorch's convolutions.</summary>
public class GemmConvolutionsTests
{
    /// <summary>Strided, dilated, padded, with and without bias, and a grouped layer the GEMM form leaves to libtorch.</summary>
    private static Model Mixed()
    {
        var module = nn.Sequential(
            ("0", nn.Conv2d(2, 4, 3, stride: 2, padding: 1)), ("1", nn.ReLU()),
            ("2", nn.Conv2d(4, 4, 3, padding: 2, dilation: 2, bias: false)), ("3", nn.Tanh()),
            ("4", nn.Conv2d(4, 4, 1, groups: 2)), ("5", nn.MaxPool2d(2)), ("6", nn.Flatten()), ("7", nn.Linear(16, 3)));
        SeededInit.Apply(module, 11);
        module.to(ScalarType.Float64);
        return new Model(module, "mixed-cnn", LossKind.CrossEntropy, "test model") { InputShape = [2, 9, 9], Outputs = 3 };
    }

    private static Tensor Product(string kind, Model model, CurvatureData data, Tensor v, bool gemm)
    {
        GemmConvolutions.Force = gemm;
        try
        {
            using CurvatureOperator op = kind == "ggn" ? new GgnOperator(model, data) : new HessianOperator(model, data);
            return op.Apply(v);
        }
        finally
        {
            GemmConvolutions.Force = null;
        }
    }

    [Theory]
    [InlineData("hessian", "mixed")]
    [InlineData("ggn", "mixed")]
    [InlineData("hessian", "lenet5")]
    [InlineData("ggn", "resnet20")]
    public void ProductsEqualThoseOfLibtorchsConvolutions(string kind, string spec)
    {
        using var model = spec == "mixed" ? Mixed() : ModelZoo.Create(spec, spec == "lenet5" ? [1, 28, 28] : [3, 32, 32], 10, seed: 3);
        model.Module.to(ScalarType.Float64);
        model.Module.eval();
        var (x, y) = DenseReference.Batch(5, model.InputShape, (int)model.Outputs, seed: 4);
        var data = CurvatureData.FromBatch(x, y);
        var v = randn([model.ParameterCount], ScalarType.Float64, generator: new Generator(5));
        var gemm = Product(kind, model, data, v, gemm: true);
        var plain = Product(kind, model, data, v, gemm: false);
        double err = DenseReference.RelativeError(gemm, plain);
        Assert.True(err < 1e-12, $"{kind} of {spec}: GEMM-form convolutions vs libtorch's, rel err {err:G3}");
        Assert.True(plain.norm().item<double>() > 1e-6, "the product is not trivially zero");
    }

    [Theory]
    [InlineData(3, 3, 1, 1, 1)]
    [InlineData(3, 3, 2, 1, 1)]
    [InlineData(5, 3, 1, 2, 1)]
    [InlineData(1, 1, 2, 0, 1)]
    [InlineData(2, 4, 3, 0, 1)]
    [InlineData(3, 3, 1, 2, 2)]
    public void PatchesAreLibtorchsUnfoldAndTheirGradientItsFold(long kh, long kw, long stride, long padding, long dilation)
    {
        using var scope = NewDisposeScope();
        using var conv = nn.Conv2d(3, 2, (kh, kw), stride: (stride, stride), padding: (padding, padding), dilation: (dilation, dilation));
        var x = randn([2, 3, 11, 9], ScalarType.Float64, generator: new Generator(6)).requires_grad_(true);
        var ours = GemmConvolutions.Patches(conv, x);
        var theirs = nn.functional.unfold(x, (kh, kw), (dilation, dilation), (padding, padding), (stride, stride));
        Assert.Equal(theirs.shape, ours.shape);
        Assert.Equal(0.0, (ours - theirs).abs().max().item<double>());
        // The graph a curvature product differentiates: the patches' backward is libtorch's fold (col2im).
        var w = randn(ours.shape, ScalarType.Float64, generator: new Generator(7));
        var g = autograd.grad([(ours * w).sum()], [x])[0];
        var fold = nn.functional.fold(w, (11, 9), (kh, kw), (dilation, dilation), (padding, padding), (stride, stride));
        Assert.True((g - fold).abs().max().item<double>() < 1e-12, $"patches' gradient against fold: {(g - fold).abs().max().item<double>():G3}");
        // The columns the GEMM form multiplies are the same patches as [K, N·L] (sample-major within a row), and their gradient the same fold.
        var columns = GemmConvolutions.Columns(conv, x);
        var expected = theirs.permute(1, 0, 2).reshape(theirs.shape[1], -1);
        Assert.Equal(expected.shape, columns.shape);
        Assert.Equal(0.0, (columns - expected).abs().max().item<double>());
        var wc = w.permute(1, 0, 2).reshape(theirs.shape[1], -1);
        var gc = autograd.grad([(columns * wc).sum()], [x])[0];
        Assert.True((gc - fold).abs().max().item<double>() < 1e-12, $"columns' gradient against fold: {(gc - fold).abs().max().item<double>():G3}");
    }

    [Fact]
    public void EverySupportedLayerRunsAsAGemmAndTheGroupedOneDoesNot()
    {
        using var model = Mixed();
        var (x, _) = DenseReference.Batch(6, model.InputShape, 3, seed: 4);
        var convs = model.Module.modules().OfType<TorchSharp.Modules.Conv2d>().ToArray();
        var seen = new long[convs.Length];
        var expected = model.Module.forward(x);
        using (GemmConvolutions.Use(model.Module))
        {
            // Registered after Use's hooks: sees the input libtorch's kernel was handed.
            var counters = convs.Select((c, i) => c.register_forward_hook((_, input, output) => { seen[i] = input.shape[0]; return output; })).ToArray();
            var output = model.Module.forward(x);
            foreach (var h in counters) h.remove();
            Assert.True(DenseReference.RelativeError(output, expected) < 1e-14, "GEMM-form forward vs libtorch's");
        }
        Assert.Equal(new long[] { 1, 1, 6 }, seen);
        // Removed on dispose: libtorch convolves the whole batch again.
        var again = convs.Select((c, i) => c.register_forward_hook((_, input, output) => { seen[i] = input.shape[0]; return output; })).ToArray();
        model.Module.forward(x);
        foreach (var h in again) h.remove();
        Assert.Equal(new long[] { 6, 6, 6 }, seen);
    }

    [Fact]
    public void GraphMemoryCountsTheUnfoldedPatches()
    {
        using var model = DenseReference.TinyCnn(seed: 5);
        var (x, y) = DenseReference.Batch(3, [1, 5, 5], 3, seed: 6);
        var data = CurvatureData.FromBatch(x, y);
        // conv 2·5·5, BN 2·5·5, ReLU 2·5·5, flatten 50, linear 3: 203 numbers; the conv's patches: 1·3·3 at 25 positions.
        Assert.Equal((203 * 8L, 225 * 8L), GraphMemory.GraphBytesPerSample(model, data, CPU, ScalarType.Float64));
    }

    [Fact]
    public void ASingleBatchRunsItsConvolutionsAsGemmsOnlyWhereThePatchesFit()
    {
        using var model = DenseReference.TinyCnn(seed: 5);
        var (x, y) = DenseReference.Batch(3, [1, 5, 5], 3, seed: 6);
        var data = CurvatureData.FromBatch(x, y);
        var convs = model.Module.modules().OfType<TorchSharp.Modules.Conv2d>().ToArray();
        long seen = 0;
        var counter = convs[0].register_forward_hook((_, input, output) => { seen = input.shape[0]; return output; });
        GemmConvolutions.Force = true;
        try
        {
            foreach (var (budget, expected) in new[] { (0L, 3L), (1L << 20, 1L) })
            {
                GraphMemory.ThreadBudget = budget;
                using var op = new HessianOperator(model, data);
                op.Apply(ones(op.Dimension, ScalarType.Float64)).Dispose();
                Assert.True(expected == seen, $"budget {budget} B: libtorch's convolution saw {seen} samples, expected {expected}");
            }
        }
        finally
        {
            GemmConvolutions.Force = null;
            GraphMemory.ThreadBudget = null;
            counter.remove();
        }
    }

    [Fact]
    public void TheEnvironmentSwitchTakesOnOrOffAndNamesItselfOtherwise()
    {
        Assert.Equal(new bool?[] { true, false, null, null }, new[] { "on", "off", "", null }.Select(GemmConvolutions.ParseSetting));
        var e = Assert.Throws<ArgumentException>(() => GemmConvolutions.ParseSetting("yes"));
        Assert.Equal("BASIN_CONV_GEMM must be 'on' or 'off', got 'yes'", e.Message);
    }
}
