using Basin.Operators;
using Xunit;
using static TorchSharp.torch;

namespace Basin.Tests.Operators;

public class CacheAfterSwapTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ACachedGraphIsRebuiltAfterTheWeightsWereSwappedAndRestored(bool ggn)
    {
        // Found when pacGen (which swaps weights for ρ without using the Hessian) ran between two uses of a cached
        // Hessian: the restored weights compare equal but carry new versions, and libtorch aborted the process.
        using var model = DenseReference.Float64("mlp:4-6-3", [4], 3, seed: 2);
        var (x, y) = DenseReference.Batch(20, [4], 3, seed: 3);
        using CurvatureOperator op = ggn ? new GgnOperator(model, CurvatureData.FromBatch(x, y)) : new HessianOperator(model, CurvatureData.FromBatch(x, y));
        var v = randn([op.Dimension], ScalarType.Float64, generator: new Generator(4));
        var before = op.Apply(v);
        using (var swap = new WeightSwap(model.Module.parameters())) swap.Set(swap.Original * 1.5);
        var after = op.Apply(v);
        Assert.True(DenseReference.RelativeError(after, before) < 1e-14, "the product changed after the weights were restored");
    }
}
