using Basin.Estimators;
using Basin.Models;
using Basin.Operators;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Basin.Tests.Operators;

/// <summary>
/// Products of k vectors in one pass (issue 27: "products of the same operator batched as a block"): each row is the single
/// product, the GGN's and the Fisher's against dense float64 references, whichever form a layer's per-sample Jacobians are kept in;
/// and Lanczos runs in lock-step are the runs one by one.
/// </summary>
public class BlockProductTests
{
    [Fact]
    public void AWeightIsMaterialisedWhereItsGradientsAreSmallerThanItsFactors()
    {
        // LeNet-5's first convolution under the GGN's ten columns: 10·6·25 = 1 500 values a sample against 784·(10·6 + 25) = 66 640.
        Assert.True(PerSampleFactors.Smaller(10, 784, 6, 25));
        // A linear layer (one position): 10·120·400 = 480 000 against 10·120 + 400 = 1 600.
        Assert.False(PerSampleFactors.Smaller(10, 1, 120, 400));
        // The test model's layers: 3·3·9 = 81 ≤ 36·(9 + 9); 3·4·27 = 324 ≤ 9·(12 + 27) = 351; 3·5·36 = 540 > 1·(15 + 36).
        Assert.True(PerSampleFactors.Smaller(3, 36, 3, 9));
        Assert.True(PerSampleFactors.Smaller(3, 9, 4, 27));
        Assert.False(PerSampleFactors.Smaller(3, 1, 5, 36));
    }

    [Theory]
    [InlineData(null)]
    [InlineData(true)]
    [InlineData(false)]
    public void GgnAndFisherBlockProductsAreTheDenseProducts(bool? materialised)
    {
        // A conv / batch norm / linear model in float64 whose layers take both forms by cost (null), or every weight one form.
        using var scope = NewDisposeScope();
        using var model = LayerPerSampleTests.Positions();
        var (x, y) = DenseReference.Batch(9, model.InputShape, 3, seed: 6);
        using var g = new Generator(13);
        var block = randn([3, model.ParameterCount], ScalarType.Float64, generator: g);
        PerSampleFactors.Materialised = materialised;
        try
        {
            using var ggn = new GgnOperator(model, CurvatureData.FromBatch(x, y));
            Assert.True(ggn.SharesBlocks);
            var dense = DenseReference.Ggn(model, x);
            var single = ggn.Apply(block[1]);
            Assert.Equal(1, ggn.FactoredBatches);
            string form = materialised switch { true => "materialised", false => "factored", null => "by cost" };
            Assert.True(DenseReference.RelativeError(single, dense.mv(block[1])) < 1e-12, $"G v ({form}) vs the dense GGN");
            var rows = ggn.ApplyBlock(block);
            Assert.Equal(new long[] { 3, model.ParameterCount }, rows.shape);
            Assert.Equal(4, ggn.Products);
            double err = DenseReference.RelativeError(rows, block.mm(dense));
            Assert.True(err < 1e-12, $"G V ({form}, 3 rows in one pass) vs the dense GGN, rel err {err:G3}");

            // Streamed in batches of 4, 4 and 1: each batch's factors weighted by its share.
            using var data = new Basin.Data.Dataset("d", x.clone(), y.clone(), 3);
            using var streamed = new GgnOperator(model, CurvatureData.FromDataset(data, batchSize: 4));
            double se = DenseReference.RelativeError(streamed.ApplyBlock(block), block.mm(dense));
            Assert.True(se < 1e-12, $"G V ({form}) over three batches vs the dense GGN, rel err {se:G3}");

            var (perSample, _) = PerSampleGradients.Compute(model, model.Module.named_parameters().Select(p => (p.name, p.parameter)).ToArray(), x, y, forceLoop: true);
            var fisherDense = perSample.t().mm(perSample).div(9);
            long limit = EmpiricalFisherOperator.MaxCachedElements;
            foreach (long cached in new[] { limit, 0L })
            {
                // The per-sample matrix kept whole, or (no room for it) the factors.
                EmpiricalFisherOperator.MaxCachedElements = cached;
                using var f = new EmpiricalFisherOperator(model, CurvatureData.FromBatch(x, y));
                double fe = DenseReference.RelativeError(f.ApplyBlock(block), block.mm(fisherDense));
                Assert.True(fe < 1e-12, $"F V ({form}, {(cached == 0 ? "factors" : "matrix")}) vs the loop's per-sample gradients, rel err {fe:G3}");
            }
            EmpiricalFisherOperator.MaxCachedElements = limit;
        }
        finally
        {
            PerSampleFactors.Materialised = null;
        }
    }

    [Fact]
    public void LockStepLanczosRunsAreTheRunsOneByOne()
    {
        var rng = new Random(5);
        var spectrum = new double[] { 50, 20, 8 }.Concat(Enumerable.Range(0, 77).Select(_ => rng.NextDouble())).ToArray();
        using var op = DenseOperator.WithSpectrum(spectrum, seed: 2);
        using var g = new Generator(3);
        var starts = Enumerable.Range(0, 3).Select(_ => randn([80], ScalarType.Float64, generator: g)).ToArray();
        // A tolerance on the top pair stops each start at its own step; the cap of 30 bounds all.
        var rule = new StoppingRule(30, 1e-9, MinIterations: 2);
        var together = Lanczos.RunTogether(op, rule, starts, null);
        long before = op.Products;
        var alone = starts.Select(s => Lanczos.Run(op, rule, start: s)).ToArray();
        Assert.Equal(op.Products - before, together.Sum(r => r.Products));
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(alone[i].Steps, together[i].Steps);
            Assert.Equal(alone[i].Status, together[i].Status);
            Assert.True(together[i].Steps <= 30);
            for (int j = 0; j < alone[i].Steps; j++)
            {
                Assert.True(Math.Abs(alone[i].Alpha[j] - together[i].Alpha[j]) <= 1e-10 * 50, $"start {i}, α_{j}: {together[i].Alpha[j]:R} vs {alone[i].Alpha[j]:R}");
                Assert.True(Math.Abs(alone[i].Beta[j] - together[i].Beta[j]) <= 1e-10 * 50, $"start {i}, β_{j}");
            }
        }
        Assert.Contains(together, r => r.Status == EstimateStatus.Converged);
        Assert.True(Math.Abs(together.Max(r => r.Ritz().Values.Max()) - 50) < 1e-7, "the top Ritz value is λ₁ = 50");
    }

    [Fact]
    public void SlqInLockStepGivesTheSameEstimatesAndKeepsItsStartRule()
    {
        var rng = new Random(6);
        var spectrum = new double[] { 30, 10 }.Concat(Enumerable.Range(0, 98).Select(_ => 0.05 * rng.NextDouble())).ToArray();
        using var op = DenseOperator.WithSpectrum(spectrum, seed: 4);
        double exact = spectrum.Sum(t => Math.Log(1 + t / 1e-2));
        var steps = new StoppingRule(40, MinIterations: 1);
        var one = StochasticLanczosQuadrature.Run(op, steps, new StoppingRule(4, MinIterations: 1), seed: 7, lowerEnd: 0).RelativeLogDeterminant(1e-2);
        var four = StochasticLanczosQuadrature.Run(op, steps, new StoppingRule(4, MinIterations: 1), seed: 7, lowerEnd: 0, together: 4).RelativeLogDeterminant(1e-2);
        Assert.True(Math.Abs(one.Value - four.Value) <= 1e-9 * Math.Abs(one.Value), $"log det: {four.Value:R} in lock-step vs {one.Value:R} one by one");
        Assert.True(Math.Abs(one.StandardError - four.StandardError) <= 1e-9 * one.StandardError);
        Assert.True(Math.Abs(four.Value - exact) <= 4 * four.StandardError, $"log det {four.Value:G6} ± {four.StandardError:G3} vs exact {exact:G6}");
        // Under a tolerance the first MinIterations starts go together, then one at a time: never past the cap, stopped once met.
        var adaptive = StochasticLanczosQuadrature.Run(op, steps, new StoppingRule(12, 0.02, MinIterations: 3), seed: 7, f: t => Math.Log(1 + t / 1e-2), lowerEnd: 0, together: 12);
        var alone = StochasticLanczosQuadrature.Run(op, steps, new StoppingRule(12, 0.02, MinIterations: 3), seed: 7, f: t => Math.Log(1 + t / 1e-2), lowerEnd: 0);
        Assert.Equal(alone.Rules.Count, adaptive.Rules.Count);
        Assert.InRange(adaptive.Rules.Count, 3, 12);
        Assert.Equal(alone.Status, adaptive.Status);
    }

    /// <summary>An operator that multiplies one vector at a time (no shared block product), around another.</summary>
    private sealed class OneByOne(ILinearOperator inner) : ILinearOperator
    {
        public long Dimension => inner.Dimension;
        public ScalarType DType => inner.DType;
        public Device Device => inner.Device;
        public long Products => inner.Products;
        public Tensor Apply(Tensor v) => inner.Apply(v);
    }

    [Fact]
    public void ProbesInBlocksAreTheProbesOneByOne()
    {
        var rng = new Random(8);
        var spectrum = new double[] { 40, 12 }.Concat(Enumerable.Range(0, 58).Select(_ => rng.NextDouble() - 0.2)).ToArray();
        using var op = DenseOperator.WithSpectrum(spectrum, seed: 9);
        var alone = new OneByOne(op);
        Assert.Equal(8, Hutchinson.BlockSize(op, new StoppingRule(20, MinIterations: 2), 0));
        Assert.Equal(4, Hutchinson.BlockSize(op, new StoppingRule(20, MinIterations: 2), 16));
        Assert.Equal(1, Hutchinson.BlockSize(alone, new StoppingRule(20, MinIterations: 2), 0));
        Assert.Equal(3, Hutchinson.BlockSize(op, new StoppingRule(20, 0.01, MinIterations: 3), 0));
        // 20 probes: blocks of 8, 8 and 4 against 20 single products; the same Rademacher draws, so the same estimates to rounding.
        var rule = new StoppingRule(20, MinIterations: 2);
        var (trace, square) = Hutchinson.TraceAndTraceOfSquare(op, rule, seed: 4);
        long before = op.Products;
        var (trace1, square1) = Hutchinson.TraceAndTraceOfSquare(alone, rule, seed: 4);
        Assert.Equal(20, op.Products - before);
        Assert.Equal(20, trace.Products);
        Assert.True(Math.Abs(trace.Value - trace1.Value) <= 1e-12 * Math.Abs(trace1.Value) && Math.Abs(trace.StandardError - trace1.StandardError) <= 1e-10 * trace1.StandardError,
            $"Tr A {trace.Value:R} ± {trace.StandardError:R} in blocks vs {trace1.Value:R} ± {trace1.StandardError:R}");
        Assert.True(Math.Abs(square.Value - square1.Value) <= 1e-12 * square1.Value);
        Assert.True(Math.Abs(trace.Value - spectrum.Sum()) <= 4 * trace.StandardError, $"Tr A {trace.Value:G6} ± {trace.StandardError:G3} vs {spectrum.Sum():G6}");
        // The measured metrics' shared probes: trace, Tr A² and the diagonal, the same way.
        var settings = new Basin.Metrics.MeasureSettings { TraceProbes = 12 };
        using var blocks = Basin.Metrics.ProbeSummary.Compute(op, settings, 5, new Basin.Metrics.CostLedger());
        using var single = Basin.Metrics.ProbeSummary.Compute(alone, settings, 5, new Basin.Metrics.CostLedger());
        Assert.True(Math.Abs(blocks.Trace.Value - single.Trace.Value) <= 1e-12 * Math.Abs(single.Trace.Value));
        Assert.True(DenseReference.RelativeError(blocks.Diagonal.Values, single.Diagonal.Values) < 1e-12, "the Hutchinson diagonal in blocks vs one by one");
    }

    [Fact]
    public void TheBasesOfLockStepRunsMustFitTheFloat64Bound()
    {
        // LeNet-5 (61 706 parameters), 4 starts of 100 steps: 4 × (100 + 4) × 61 706 × 8 B = 205 MB ≤ 2 GiB.
        Assert.Equal(4, Lanczos.Together(4, 100, 61_706, 4));
        // A ResNet-18 (11.2 M): one basis is 4.5 GB in float32, so one start at a time.
        Assert.Equal(1, Lanczos.Together(4, 100, 11_200_000, 4));
        Assert.Equal(1, Lanczos.Together(1, 100, 1000, 4));
    }

    [Fact]
    public void ABadBlockIsRefusedBeforeNativeCode()
    {
        using var op = DenseOperator.WithSpectrum([1, 2, 3], seed: 1);
        ILinearOperator any = op;
        Assert.Contains("[k, 3]", Assert.Throws<ArgumentException>(() => any.ApplyBlock(zeros([2, 4], ScalarType.Float64))).Message);
        Assert.Contains("[k, 3]", Assert.Throws<ArgumentException>(() => any.ApplyBlock(zeros([3], ScalarType.Float64))).Message);
        Assert.Contains("dtype", Assert.Throws<ArgumentException>(() => any.ApplyBlock(zeros([2, 3], ScalarType.Float32))).Message);
    }
}
