using Basin.Operators;
using Xunit;
using static TorchSharp.torch;

namespace Basin.Tests.Operators;

/// <summary>Operators over data streamed in several batches keep every batch's graph when <see cref="GraphMemory"/> allows.</summary>
public class StreamedCacheTests
{
    private static CurvatureOperator Make(string kind, Basin.Models.Model model, CurvatureData data) => kind switch
    {
        "hessian" => new HessianOperator(model, data),
        "ggn" => new GgnOperator(model, data),
        _ => new EmpiricalFisherOperator(model, data),
    };

    [Theory]
    [InlineData("hessian")]
    [InlineData("ggn")]
    [InlineData("fisher")]
    [InlineData("fisher-graphs")]
    [InlineData("fisher-factors")]
    public void CachingEveryBatchGivesTheProductsOfTheUncachedOperatorAndFollowsWeightChanges(string kind)
    {
        GraphMemory.ThreadBudget = 1L << 30;
        // Too large for the per-sample matrix: the Jacobian graphs, or the per-sample gradients kept factored.
        if (kind is "fisher-graphs" or "fisher-factors") (EmpiricalFisherOperator.MaxCachedElements, EmpiricalFisherOperator.Factored) = (0, kind == "fisher-factors");
        try
        {
            using var model = DenseReference.TinyCnn(seed: 5);
            var (x, y) = DenseReference.Batch(11, [1, 5, 5], 3, seed: 6);
            var streamed = CurvatureData.FromBatch(x, y).WithBatchSize(4); // batches of 4, 4, 3
            using var cached = Make(kind, model, streamed);
            var v = randn([cached.Dimension], ScalarType.Float64, generator: new Generator(7));
            var first = cached.Apply(v);
            Assert.True(cached.CachesEveryBatch, "11 samples of a tiny CNN fit in a 1 GiB budget");
            var second = cached.Apply(v);

            GraphMemory.ThreadBudget = 0;
            using var cold = Make(kind, model, streamed);
            var reference = cold.Apply(v);
            Assert.False(cold.CachesEveryBatch, "with no budget the streamed operator rebuilds its graphs");
            using var whole = Make(kind, model, CurvatureData.FromBatch(x, y));
            Assert.True(DenseReference.RelativeError(first, reference) < 1e-14, $"{kind}: cached vs cold streamed product, rel err {DenseReference.RelativeError(first, reference):G3}");
            Assert.True(DenseReference.RelativeError(second, reference) < 1e-14, $"{kind}: second cached product vs cold, rel err {DenseReference.RelativeError(second, reference):G3}");
            Assert.True(DenseReference.RelativeError(first, whole.Apply(v)) < 1e-12, $"{kind}: streamed vs one batch");

            // Weights changed in place: every batch's graph is rebuilt, so the product is the new weights' one.
            using (no_grad()) foreach (var p in model.Module.parameters()) p.mul_(1.3);
            using var fresh = Make(kind, model, streamed);
            var changed = cached.Apply(v);
            Assert.True(DenseReference.RelativeError(changed, fresh.Apply(v)) < 1e-14, $"{kind}: stale cache after the weights changed");
            Assert.True(DenseReference.RelativeError(changed, reference) > 1e-3, $"{kind}: the weights' change did not change the product");
        }
        finally
        {
            GraphMemory.ThreadBudget = null;
            EmpiricalFisherOperator.MaxCachedElements = 1L << 26;
            EmpiricalFisherOperator.Factored = true;
        }
    }

    [Fact]
    public void OperatorsShareTheBudgetAndReturnItWhenDisposed()
    {
        using var model = DenseReference.TinyCnn(seed: 5);
        var (x, y) = DenseReference.Batch(11, [1, 5, 5], 3, seed: 6);
        var streamed = CurvatureData.FromBatch(x, y).WithBatchSize(4);
        // 203 float64 activations per sample, and 225 numbers of patches where the conv runs as a GEMM (GemmConvolutionsTests).
        bool gemm = GemmConvolutions.Applies(CPU);
        long perSample = (203 + (gemm ? 225 : 0)) * 8;
        // Room for one operator's graphs: 11 samples kept, one batch of 4 passing (1.2 and 5.2 times in the GEMM form, 2 and 10 else).
        long one = (long)(perSample * (gemm ? 1.2 * 11 + 5.2 * 4 : 2.0 * 11 + 10.0 * 4));
        Assert.Equal(one, GraphMemory.ReservationBytes(perSample, 11, 4, gemm));
        GraphMemory.ThreadBudget = one;
        try
        {
            var v = ones(new HessianOperator(model, streamed).Dimension, ScalarType.Float64);
            var a = new HessianOperator(model, streamed);
            a.Apply(v);
            using var b = new GgnOperator(model, streamed);
            b.Apply(v);
            Assert.True(a.CachesEveryBatch, "the first operator reserves the budget");
            Assert.False(b.CachesEveryBatch, "the second finds it spent and streams");
            a.Dispose();
            using var c = new GgnOperator(model, streamed);
            c.Apply(v);
            Assert.True(c.CachesEveryBatch, "a disposed operator returns its reservation");
        }
        finally
        {
            GraphMemory.ThreadBudget = null;
        }
    }
}
