using Basin.Estimators;
using Basin.Operators;
using Xunit;
using static TorchSharp.torch;

namespace Basin.Tests.Estimators;

/// <summary>
/// The Gauss–Radau bracket of a log-determinant (issue 27): on dense float64 positive semi-definite matrices whose spectrum piles up
/// at 0, as a network's GGN does, every start's exact <c>vᵀ log(1 + A/δ) v</c> lies between the Radau and Gauss rules at every
/// step, the bracket only narrows, and SLQ's error then covers the exact trace.
/// </summary>
public class GaussRadauTests
{
    private const double Delta = 1e-4;

    private static double F(double t) => Math.Log(1 + t / Delta);

    /// <summary>Half the spectrum exactly 0, a log-uniform bulk in [10⁻⁶, 1], and outliers in [5, 20].</summary>
    private static double[] ZeroHeavySpectrum(int n, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(i => i < n / 2 ? 0 : i < n - 8 ? Math.Pow(10, -6 + 6 * rng.NextDouble()) : 5 + 15 * rng.NextDouble()).ToArray();
    }

    /// <summary><c>vᵀ f(A) v</c> from A's eigendecomposition in float64.</summary>
    private static double Exact(DenseOperator op, Tensor v)
    {
        using var scope = NewDisposeScope();
        var (values, vectors) = linalg.eigh(op.Matrix);
        var coefficients = vectors.t().mv(v).pow(2).data<double>().ToArray();
        var lambdas = values.data<double>().ToArray();
        // eigh may return a zero eigenvalue as −1e-16; log(1 + t/δ) is smooth there.
        return coefficients.Zip(lambdas, (c, l) => c * F(l)).Sum();
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-5e-5)]
    public void TheBracketHoldsTheExactQuadraticFormAtEveryStepAndOnlyNarrows(double lowerEnd)
    {
        using var scope = NewDisposeScope();
        using var op = DenseOperator.WithSpectrum(ZeroHeavySpectrum(240, seed: 3), seed: 4);
        using var generator = new Generator(9);
        var v = randint(0, 2, [240], ScalarType.Float64, generator: generator).mul(2).sub(1);
        double exact = Exact(op, v);
        var run = Lanczos.Run(op, 60, start: v);
        double previousWidth = double.PositiveInfinity;
        for (int m = 1; m <= 60; m++)
        {
            var (lower, upper) = GaussRadau.Bracket(run, F, lowerEnd, m) ?? throw new Xunit.Sdk.XunitException($"no bracket at m = {m}");
            double slack = 1e-9 * Math.Abs(exact);
            Assert.True(lower <= exact + slack && exact <= upper + slack, $"m = {m}: [{lower:R}, {upper:R}] misses vᵀf(A)v = {exact:R}");
            // The upper end is the run's Gauss rule, read independently from its Ritz pairs.
            var (nodes, weights, _) = run.Ritz(m);
            double gauss = 240 * nodes.Zip(weights, (t, w) => w * F(t)).Sum();
            Assert.True(Math.Abs(gauss - upper) <= 1e-9 * Math.Abs(gauss), $"m = {m}: Gauss rule {gauss:R}, bracket's upper end {upper:R}");
            Assert.True(upper - lower <= previousWidth * (1 + 1e-9) + slack, $"m = {m}: the bracket widened from {previousWidth:G4} to {upper - lower:G4}");
            previousWidth = upper - lower;
        }
        // At 60 steps the fixed node resolves the zero cluster: the bracket is a small fraction of the value.
        Assert.True(previousWidth < 0.05 * exact, $"width {previousWidth:G4} of {exact:G6} after 60 steps");
        // A lower end where f is undefined (log of a negative number) gives no bracket rather than a NaN one.
        Assert.Null(GaussRadau.Bracket(run, F, -0.5));
    }

    [Fact]
    public void SlqLogDeterminantWithTheLowerEndCoversTheExactTraceAndIsNarrowerThanTheHalfStepChange()
    {
        var spectrum = ZeroHeavySpectrum(300, seed: 5);
        using var op = DenseOperator.WithSpectrum(spectrum, seed: 6);
        double exact = spectrum.Sum(F);
        var plain = StochasticLanczosQuadrature.Run(op, new StoppingRule(40, MinIterations: 1), new StoppingRule(12, MinIterations: 1), seed: 2, f: F);
        var bracketed = StochasticLanczosQuadrature.Run(op, new StoppingRule(40, MinIterations: 1), new StoppingRule(12, MinIterations: 1), seed: 2, f: F, lowerEnd: 0);
        var before = plain.RelativeLogDeterminant(Delta);
        var after = bracketed.RelativeLogDeterminant(Delta);
        Assert.Equal(plain.Products, bracketed.Products);
        Assert.Contains("Gauss–Radau", after.Settings["error"]);
        Assert.Contains("m/2", before.Settings["error"]);
        Assert.True(Math.Abs(after.Value - exact) <= 3 * after.StandardError, $"Tr log(1 + A/δ) = {after.Value:G6} ± {after.StandardError:G3}, exact {exact:G6}");
        Assert.True(after.Truncation < before.Truncation, $"bracket half-width {after.Truncation:G4}, half-step change {before.Truncation:G4}");
    }

    [Fact]
    public void UnderATargetEachStartStopsOnceItsBracketIsWithinIt()
    {
        using var op = DenseOperator.WithSpectrum(ZeroHeavySpectrum(300, seed: 7), seed: 8);
        const double target = 0.02;
        var slq = StochasticLanczosQuadrature.Run(op, new StoppingRule(150, target, MinIterations: 5), new StoppingRule(3, MinIterations: 1), seed: 1, f: F, lowerEnd: 0);
        Assert.All(slq.Runs, run =>
        {
            var (lower, upper) = GaussRadau.Bracket(run, F, 0)!.Value;
            Assert.True((upper - lower) / 2 <= target * (upper + lower) / 2, $"stopped at {run.Steps} steps with [{lower:G6}, {upper:G6}]");
            Assert.True(run.Steps < 150, $"{run.Steps} steps: the target never stopped it");
            if (run.Steps > 5)
            {
                var (earlierLower, earlierUpper) = GaussRadau.Bracket(run, F, 0, run.Steps - 1)!.Value;
                Assert.True((earlierUpper - earlierLower) / 2 > target * (earlierUpper + earlierLower) / 2, $"a start ran past its target (step {run.Steps - 1} already met it)");
            }
        });
    }
}
