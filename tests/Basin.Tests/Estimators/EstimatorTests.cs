using Basin.Estimators;
using Basin.Operators;
using Xunit;
using static TorchSharp.torch;

namespace Basin.Tests.Estimators;

public class EstimatorTests
{
    /// <summary>Five outliers over a bulk in [0, 1]: the shape of a neural-net Hessian spectrum.</summary>
    private static double[] OutlierSpectrum(int n)
    {
        var rng = new Random(3);
        double[] top = [100, 50, 30, 20, 10];
        return top.Concat(Enumerable.Range(0, n - top.Length).Select(_ => rng.NextDouble())).ToArray();
    }

    [Fact]
    public void TridiagonalEigenMatchesDenseFloat64Reference()
    {
        var rng = new Random(1);
        int n = 30;
        var d = Enumerable.Range(0, n).Select(_ => rng.NextDouble() * 4 - 2).ToArray();
        var e = Enumerable.Range(0, n - 1).Select(_ => rng.NextDouble()).ToArray();
        var (values, vectors) = Tridiagonal.Eigen(d, e);
        var t = zeros(n, n, ScalarType.Float64);
        for (int i = 0; i < n; i++) t[i, i] = d[i];
        for (int i = 0; i < n - 1; i++) { t[i, i + 1] = e[i]; t[i + 1, i] = e[i]; }
        var reference = linalg.eigvalsh(t).data<double>().ToArray();
        for (int i = 0; i < n; i++) Assert.True(Math.Abs(values[i] - reference[i]) < 1e-12, $"eigenvalue {i}: {values[i]} vs eigvalsh {reference[i]}");
        for (int j = 0; j < n; j++)
        {
            var v = tensor(Enumerable.Range(0, n).Select(k => vectors[k, j]).ToArray());
            double residual = (t.mv(v) - v * values[j]).norm().item<double>();
            Assert.True(residual < 1e-12, $"eigenvector {j}: ‖Tv − λv‖ = {residual:G3}");
        }
        Assert.Throws<ArgumentException>(() => Tridiagonal.Eigen([1.0, 2.0], [1.0, 2.0]));
    }

    [Fact]
    public void LanczosFindsTheTopFiveToOneInAMillion()
    {
        var spectrum = OutlierSpectrum(200);
        using var op = DenseOperator.WithSpectrum(spectrum, seed: 2);
        var result = Lanczos.TopEigenvalues(op, 5, steps: 60, tolerance: 1e-6, seed: 1);
        double[] expected = [100, 50, 30, 20, 10];
        for (int i = 0; i < 5; i++)
        {
            double rel = Math.Abs(result.Values[i] - expected[i]) / expected[i];
            Assert.True(rel < 1e-6, $"Lanczos λ{i + 1} = {result.Values[i]} vs {expected[i]}, rel err {rel:G3}");
            Assert.True(result.Converged[i], $"λ{i + 1} not flagged converged (residual {result.Residuals[i]:G3})");
        }
        Assert.Equal(60, result.Products);
    }

    [Fact]
    public void LanczosFindsTheSmallestEigenvalueAndReportsResiduals()
    {
        var spectrum = OutlierSpectrum(100).Select((x, i) => i == 7 ? -3.0 : x).ToArray();
        using var op = DenseOperator.WithSpectrum(spectrum, seed: 4);
        var min = Lanczos.SmallestEigenvalue(op, steps: 60);
        Assert.True(Math.Abs(min.Values[0] + 3) < 1e-6, $"λ_min = {min.Values[0]} vs −3");
        // With too few steps the bulk is not resolved: the residual says so.
        var rough = Lanczos.TopEigenvalues(op, 5, steps: 6, tolerance: 1e-6);
        Assert.Contains(rough.Converged, c => !c);
    }

    [Fact]
    public void PowerIterationWithDeflationFindsTheTopThree()
    {
        using var op = DenseOperator.WithSpectrum(OutlierSpectrum(80), seed: 5);
        var result = PowerIteration.TopEigenvalues(op, 3, new StoppingRule(500, 1e-9), seed: 2);
        double[] expected = [100, 50, 30];
        for (int i = 0; i < 3; i++) Assert.True(Math.Abs(result.Values[i] - expected[i]) / expected[i] < 1e-5, $"power iteration λ{i + 1} = {result.Values[i]} vs {expected[i]}");
    }

    [Fact]
    public void HutchinsonTraceIsWithinItsErrorAndReproducible()
    {
        var spectrum = OutlierSpectrum(150);
        using var op = DenseOperator.WithSpectrum(spectrum, seed: 6);
        var a = Hutchinson.Trace(op, new StoppingRule(400), seed: 7);
        var b = Hutchinson.Trace(op, new StoppingRule(400), seed: 7);
        Assert.Equal(a.Value, b.Value);
        double truth = spectrum.Sum();
        Assert.True(Math.Abs(a.Value - truth) < 4 * a.StandardError, $"Tr A ≈ {a} vs {truth}");
        var stopped = Hutchinson.Trace(op, new StoppingRule(10_000, RelativeTolerance: 0.05), seed: 1);
        Assert.Equal(EstimateStatus.Converged, stopped.Status);
        Assert.True(stopped.StandardError / Math.Abs(stopped.Value) <= 0.05);
        var square = Hutchinson.TraceOfSquare(op, new StoppingRule(400), seed: 3);
        double truthSq = spectrum.Sum(x => x * x);
        Assert.True(Math.Abs(square.Value - truthSq) < 4 * square.StandardError, $"Tr A² ≈ {square} vs {truthSq}");
    }

    [Fact]
    public void TraceAndTraceOfSquareFromOneSetOfProbesEqualTheSeparateEstimates()
    {
        var spectrum = OutlierSpectrum(80);
        using var op = DenseOperator.WithSpectrum(spectrum, seed: 4);
        long before = op.Products;
        var (trace, square) = Hutchinson.TraceAndTraceOfSquare(op, new StoppingRule(50), seed: 7);
        Assert.Equal(50, op.Products - before); // one product per probe for both
        // The same seed draws the same probes, so each is exactly the estimate its own run gives (at twice the products).
        var alone = Hutchinson.Trace(op, new StoppingRule(50), seed: 7);
        var squareAlone = Hutchinson.TraceOfSquare(op, new StoppingRule(50), seed: 7);
        Assert.Equal(alone.Value, trace.Value);
        Assert.Equal(alone.StandardError, trace.StandardError);
        Assert.Equal(squareAlone.Value, square.Value);
        Assert.Equal(squareAlone.StandardError, square.StandardError);
        Assert.Equal("hutchinson-square", square.Settings["estimator"]);
    }

    [Fact]
    public void TopEigenvaluesOfAnSlqStartEqualALanczosRunFromThatStart()
    {
        var spectrum = OutlierSpectrum(200);
        using var op = DenseOperator.WithSpectrum(spectrum, seed: 2);
        var slq = StochasticLanczosQuadrature.Run(op, steps: 60, starts: 2, seed: 5);
        var shared = Lanczos.TopEigenvalues(slq.Runs[0], 5, tolerance: 1e-6);
        // The first start is the seed's first Rademacher draw: a Lanczos run of its own from that vector gives the same pairs.
        using var probes = new Probes(op, 5);
        using var start = probes.Rademacher();
        var own = Lanczos.TopEigenvalues(Lanczos.Run(op, 60, start: start), 5, tolerance: 1e-6);
        Assert.Equal(own.Values, shared.Values);
        Assert.Equal(own.Residuals, shared.Residuals);
        double[] expected = [100, 50, 30, 20, 10];
        for (int i = 0; i < 5; i++) Assert.True(Math.Abs(shared.Values[i] - expected[i]) < 1e-6 * expected[i], $"λ{i + 1} = {shared.Values[i]}");
        Assert.Equal(2, slq.Runs.Count);
    }

    [Fact]
    public void HutchPlusPlusHasLowerVarianceThanHutchinsonAtEqualProducts()
    {
        var spectrum = OutlierSpectrum(120);
        using var op = DenseOperator.WithSpectrum(spectrum, seed: 8);
        double truth = spectrum.Sum();
        var plain = Enumerable.Range(0, 30).Select(s => Hutchinson.Trace(op, new StoppingRule(30), seed: s).Value).ToArray();
        var plus = Enumerable.Range(0, 30).Select(s => HutchPlusPlus.Trace(op, 30, seed: s).Value).ToArray();
        double msePlain = plain.Average(x => (x - truth) * (x - truth));
        double msePlus = plus.Average(x => (x - truth) * (x - truth));
        Assert.True(msePlus < msePlain / 10, $"mean squared error over 30 seeds at 30 products: Hutch++ {msePlus:G3} vs Hutchinson {msePlain:G3}");
    }

    [Fact]
    public void HutchPlusPlusTraceOfSquareIsExactOnALowRankMatrixAndUnbiasedWithFarLessErrorOnOutliers()
    {
        // Rank 3 and a sketch of 4 directions: Q spans A's range, the complement is empty, both are exact (no error left).
        double[] lowRank = [5, -2, 0.5, .. Enumerable.Repeat(0.0, 37)];
        using var low = DenseOperator.WithSpectrum(lowRank, seed: 11);
        var (lowTrace, lowSquare) = HutchPlusPlus.TraceAndTraceOfSquare(low, new StoppingRule(12), seed: 1);
        Assert.Equal(3.5, lowTrace.Value, 9);
        Assert.Equal(29.25, lowSquare.Value, 9);
        Assert.True(lowSquare.StandardError < 1e-9, $"{lowSquare.StandardError}");
        // Five outliers over a bulk: over 40 seeds at 30 products, the mean is within 3 standard errors of Σλ², and the squared error
        // is far below Hutchinson's on the same products; the trace is Trace's.
        var spectrum = OutlierSpectrum(120);
        using var op = DenseOperator.WithSpectrum(spectrum, seed: 8);
        double truth = spectrum.Sum(x => x * x);
        var plus = Enumerable.Range(0, 40).Select(s => HutchPlusPlus.TraceAndTraceOfSquare(op, new StoppingRule(30), seed: s)).ToArray();
        var plain = Enumerable.Range(0, 40).Select(s => Hutchinson.TraceOfSquare(op, new StoppingRule(30), seed: s).Value).ToArray();
        var values = plus.Select(p => p.TraceOfSquare.Value).ToArray();
        double mean = values.Average(), spread = Math.Sqrt(values.Sum(x => (x - mean) * (x - mean)) / (values.Length - 1) / values.Length);
        Assert.True(Math.Abs(mean - truth) < 3 * spread + 1e-9 * truth, $"mean {mean} against Σλ² {truth} (± {spread})");
        double msePlus = values.Average(x => (x - truth) * (x - truth)), msePlain = plain.Average(x => (x - truth) * (x - truth));
        Assert.True(msePlus < msePlain / 10, $"mean squared error of Tr A² at 30 products: Hutch++ {msePlus:G3} vs Hutchinson {msePlain:G3}");
        Assert.Equal(HutchPlusPlus.Trace(op, new StoppingRule(30), seed: 3).Value, plus[3].Trace.Value);
    }

    [Fact]
    public void SlqReproducesTheMomentsExactlyBelowTwiceTheSteps()
    {
        using var op = DenseOperator.WithSpectrum(OutlierSpectrum(50).Select(x => x / 100).ToArray(), seed: 9);
        const int m = 5;
        var slq = StochasticLanczosQuadrature.Run(op, steps: m, starts: 1, seed: 3);
        using var probes = new Probes(op, 3);
        var v = probes.Rademacher();
        var (nodes, weights, norm2) = slq.Rules[0];
        var akv = v.clone();
        for (int k = 0; k < 2 * m; k++)
        {
            double exact = v.dot(akv).item<double>();
            double quadrature = norm2 * nodes.Zip(weights, (t, w) => w * Math.Pow(t, k)).Sum();
            Assert.True(Math.Abs(quadrature - exact) <= 1e-9 * Math.Abs(exact), $"moment k={k}: quadrature {quadrature} vs vᵀAᵏv {exact}");
            akv = op.Apply(akv);
        }
    }

    [Fact]
    public void SlqLogDeterminantIsWithinItsReportedError()
    {
        var spectrum = OutlierSpectrum(200);
        using var op = DenseOperator.WithSpectrum(spectrum, seed: 10);
        const double delta = 1e-2;
        var slq = StochasticLanczosQuadrature.Run(op, steps: 40, starts: 30, seed: 4);
        var logdet = slq.LogDeterminant(delta);
        double truth = spectrum.Sum(x => Math.Log(x + delta));
        Assert.True(Math.Abs(logdet.Value - truth) < 3 * logdet.StandardError, $"log det(A + δI) ≈ {logdet} vs {truth}");
        var grid = Enumerable.Range(0, 4001).Select(i => -5 + i * 0.03).ToArray();
        double mass = slq.Density(grid, 0.5).Sum() * 0.03;
        Assert.True(Math.Abs(mass - 1) < 1e-3, $"density integrates to {mass}");
        using var negative = DenseOperator.WithSpectrum([1, 2, -3, 4], seed: 1);
        Assert.Throws<ArithmeticException>(() => StochasticLanczosQuadrature.Run(negative, steps: 4).LogDeterminant(1e-4));
    }

    [Fact]
    public void DiagonalEstimatorsAgreeWithTheExactDiagonal()
    {
        using var op = DenseOperator.WithSpectrum(OutlierSpectrum(60), seed: 11);
        var truth = op.Matrix.diag();
        using var exact = ExactDiagonal.Compute(op);
        Assert.True(exact.Values.allclose(truth, 1e-12, 1e-12), "exact diagonal vs diag(A)");
        using var hutch = HutchinsonDiagonal.Compute(op, probes: 400, seed: 2);
        var z = ((hutch.Values - truth).abs() / hutch.StandardError!).mean().item<double>();
        Assert.True(z < 1.5, $"Hutchinson diagonal: mean |error| / se = {z:F2}");
    }

    [Fact]
    public void PublicCallsLeakNoTensors()
    {
        using var op = DenseOperator.WithSpectrum(OutlierSpectrum(40), seed: 12);
        var calls = new (string Name, Action Call)[]
        {
            ("Hutchinson.Trace", () => Hutchinson.Trace(op, new StoppingRule(5))),
            ("Hutchinson.TraceOfSquare", () => Hutchinson.TraceOfSquare(op, new StoppingRule(5))),
            ("HutchPlusPlus.Trace", () => HutchPlusPlus.Trace(op, 9)),
            ("Lanczos.TopEigenvalues", () => Lanczos.TopEigenvalues(op, 2, steps: 10)),
            ("PowerIteration.TopEigenvalues", () => PowerIteration.TopEigenvalues(op, 2, new StoppingRule(5))),
            ("SLQ", () => StochasticLanczosQuadrature.Run(op, steps: 5, starts: 2).LogDeterminant(1e-3)),
            ("HutchinsonDiagonal", () => HutchinsonDiagonal.Compute(op, 3).Dispose()),
            ("ExactDiagonal", () => ExactDiagonal.Compute(op).Dispose()),
            ("DenseOperator.Apply", () => { using var v = ones(40, ScalarType.Float64); op.Apply(v).Dispose(); }),
        };
        foreach (var (name, call) in calls)
        {
            call(); // warm-up: lazily created state is not a leak
            long before = TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            call();
            long after = TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            Assert.True(after == before, $"{name} leaked {after - before} tensors");
        }
    }
}
