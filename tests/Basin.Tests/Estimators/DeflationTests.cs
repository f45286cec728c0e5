using Basin.Estimators;
using Basin.Operators;
using Xunit;
using static TorchSharp.torch;

namespace Basin.Tests.Estimators;

/// <summary>
/// SLQ deflated by its top Ritz pairs (issue 27: fewer products at equal error) on dense float64 matrices with a known spectrum: the
/// pairs found are the top eigenpairs, the deflated operator lives on their complement, every start's Gauss–Radau bracket plus
/// Σ f(θ_i) holds that start's exact quadratic form, the Schur bound of the remarks holds when the pairs are rough, and at equal
/// steps the deflated brackets are less than half as wide.
/// </summary>
public class DeflationTests
{
    private const double Delta = 1e-4;

    private static double F(double t) => Math.Log(1 + t / Delta);

    /// <summary>The deflation runs' rule: up to 100 steps, until the 6 pairs' residuals reach 1e-12 (at least 7 steps).</summary>
    private static readonly StoppingRule ToConvergence = new(100, 1e-12, MinIterations: 7);

    /// <summary>A third exactly 0, a log-uniform bulk in [10⁻⁶, 0.5], and 6 outliers in [20, 80] (a trained network's GGN, in miniature).</summary>
    private static double[] Spectrum(int n, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(i => i < n / 3 ? 0 : i < n - 6 ? 0.5 * Math.Pow(10, -6 * rng.NextDouble()) : 20 + 60 * rng.NextDouble()).ToArray();
    }

    [Fact]
    public void FindsTheTopEigenpairsAndDeflatesOntoTheirComplement()
    {
        using var scope = NewDisposeScope();
        var spectrum = Spectrum(300, seed: 1);
        using var op = DenseOperator.WithSpectrum(spectrum, seed: 2);
        using var probes = new Probes(op, 3);
        using var start = probes.Rademacher();
        using var deflation = Deflation.Find(op, 6, ToConvergence, start);
        var top = spectrum.OrderDescending().Take(6).ToArray();
        Assert.Equal(6, deflation.Count);
        for (int i = 0; i < 6; i++)
            Assert.True(Math.Abs(deflation.Values[i] - top[i]) <= 1e-9 * top[i], $"θ_{i + 1} = {deflation.Values[i]:R}, λ_{i + 1} = {top[i]:R}");
        Assert.True(deflation.Run.Steps < 100, $"the run stopped on its pairs' residuals, not its budget ({deflation.Run.Steps} steps)");
        // P A P v has no component along the deflated eigenvectors (the top eigenvectors of A, from its eigendecomposition).
        var (_, vectors) = linalg.eigh(op.Matrix);
        var topVectors = vectors.narrow(1, 300 - 6, 6);
        using var v = probes.Rademacher();
        var product = deflation.Deflate(op).Apply(v);
        double along = topVectors.t().mv(product).norm().item<double>(), norm = product.norm().item<double>();
        Assert.True(along <= 1e-9 * norm, $"‖Qᵀ(PAP v)‖ = {along:G3} against ‖PAP v‖ = {norm:G3}");
        // On the complement it is A: P A P v = A P v there.
        var projected = deflation.Project(v);
        double difference = (product - op.Apply(projected)).norm().item<double>();
        Assert.True(difference <= 1e-8 * norm, $"PAP v − A P v: {difference:G3} against {norm:G3}");
    }

    [Fact]
    public void EachDeflatedStartsBracketPlusTheDeflatedTermsHoldsItsExactQuadraticForm()
    {
        using var scope = NewDisposeScope();
        var spectrum = Spectrum(300, seed: 5);
        using var op = DenseOperator.WithSpectrum(spectrum, seed: 6);
        using var deflation = Deflation.Find(op, 6, ToConvergence, seed: 70);
        var slq = StochasticLanczosQuadrature.Run(op, new StoppingRule(25, MinIterations: 1), new StoppingRule(5, MinIterations: 1), seed: 7, f: F, lowerEnd: 0, deflation: deflation);
        Assert.Equal(6, slq.DeflatedValues.Count);
        Assert.Same(deflation.Run, slq.TopRun);
        // The same draws, replayed: each is a start; its exact form on the complement is
        // vᵀ f(A) v less the top eigenpairs' share, from A's eigendecomposition (the deflated pairs are those eigenpairs to 1e-9).
        var (values, vectors) = linalg.eigh(op.Matrix);
        var lambdas = values.data<double>().ToArray();
        using var probes = new Probes(op, 7);
        double constant = slq.DeflatedValues.Sum(F);
        for (int s = 0; s < 5; s++)
        {
            using var v = probes.Rademacher();
            var coefficients = vectors.t().mv(v).pow(2).data<double>().ToArray();
            double exact = Enumerable.Range(0, 300 - 6).Sum(i => coefficients[i] * F(Math.Max(lambdas[i], 0))) + constant;
            var (lower, upper) = GaussRadau.Bracket(slq.Runs[s], F, 0) ?? throw new Xunit.Sdk.XunitException($"start {s}: no bracket");
            double slack = 1e-7 * exact;
            Assert.True(lower + constant <= exact + slack && exact <= upper + constant + slack, $"start {s}: [{lower + constant:R}, {upper + constant:R}] misses {exact:R}");
        }
        // The estimate is the mean of those midpoints; the exact log det lies within three of its errors.
        double logDet = lambdas.Sum(l => F(Math.Max(l, 0)));
        var estimate = slq.RelativeLogDeterminant(Delta);
        Assert.True(Math.Abs(estimate.Value - logDet) <= 3 * estimate.StandardError, $"deflated SLQ {estimate}, exact {logDet:R}");
        Assert.Equal(1.0, slq.Nodes().Sum(n => n.Weight), 12);
    }

    [Fact]
    public void AtEqualStepsTheDeflatedBracketsAreLessThanHalfAsWide()
    {
        using var scope = NewDisposeScope();
        using var op = DenseOperator.WithSpectrum(Spectrum(400, seed: 8), seed: 9);
        var plain = StochasticLanczosQuadrature.Run(op, new StoppingRule(20, MinIterations: 1), new StoppingRule(4, MinIterations: 1), seed: 10, f: F, lowerEnd: 0);
        using var deflation = Deflation.Find(op, 6, ToConvergence, seed: 11);
        var deflated = StochasticLanczosQuadrature.Run(op, new StoppingRule(20, MinIterations: 1), new StoppingRule(4, MinIterations: 1), seed: 10, f: F, lowerEnd: 0, deflation: deflation);
        double before = plain.RelativeLogDeterminant(Delta).Truncation, after = deflated.RelativeLogDeterminant(Delta).Truncation;
        Assert.True(after < before / 2, $"mean bracket half-width at 20 steps: {before:G4} plain, {after:G4} deflated by 6 outliers");
    }

    [Fact]
    public void DeflatedHutchinsonIsUnbiasedWithAFarSmallerErrorOnOutliers()
    {
        using var scope = NewDisposeScope();
        var spectrum = Spectrum(300, seed: 14);
        using var op = DenseOperator.WithSpectrum(spectrum, seed: 15);
        using var deflation = Deflation.Find(op, 6, ToConvergence, seed: 16);
        double trace = spectrum.Sum(), square = spectrum.Sum(t => t * t);
        var rule = new StoppingRule(16);
        var (plainTrace, plainSquare) = Hutchinson.TraceAndTraceOfSquare(op, rule, seed: 17);
        var (deflatedTrace, deflatedSquare) = Hutchinson.TraceAndTraceOfSquare(op, deflation, rule, seed: 17);
        Assert.True(Math.Abs(deflatedTrace.Value - trace) <= 3 * deflatedTrace.StandardError + 1e-9 * trace, $"deflated Tr {deflatedTrace}, exact {trace:R}");
        Assert.True(Math.Abs(deflatedSquare.Value - square) <= 3 * deflatedSquare.StandardError + 1e-9 * square, $"deflated Tr A² {deflatedSquare}, exact {square:R}");
        // The outliers carry all of Tr A² and most of Tr A: off the complement their variance is gone.
        Assert.True(deflatedTrace.StandardError < plainTrace.StandardError / 10, $"Tr: se {plainTrace.StandardError:G3} plain, {deflatedTrace.StandardError:G3} deflated");
        Assert.True(deflatedSquare.StandardError < plainSquare.StandardError / 10, $"Tr A²: se {plainSquare.StandardError:G3} plain, {deflatedSquare.StandardError:G3} deflated");
        Assert.Equal(16, deflatedTrace.Samples);
    }

    [Fact]
    public void MorePairsThanTheDimensionAllowsLeaveOneDirectionToSample()
    {
        using var scope = NewDisposeScope();
        using var op = DenseOperator.WithSpectrum([3.0, 2.0, 1.0, 0.5], seed: 18);
        using var deflation = Deflation.Find(op, 10, new StoppingRule(40, 1e-12), seed: 19);
        Assert.Equal(3, deflation.Count);
        var slq = StochasticLanczosQuadrature.Run(op, new StoppingRule(10, MinIterations: 1), new StoppingRule(3, MinIterations: 1), seed: 20, f: t => t, deflation: deflation);
        // Three pairs exact and the last eigenvalue sampled by (Pv)ᵀA(Pv) = 0.5‖Pv‖², ‖Pv‖² = (uᵀv)² for its eigenvector u.
        var trace = slq.Trace(t => t);
        Assert.True(Math.Abs(slq.DeflatedValues.Sum() - 6.0) < 1e-9, $"deflated {string.Join(", ", slq.DeflatedValues)}");
        Assert.True(trace.Value >= 6.0 - 1e-9 && trace.Value <= 6.0 + 0.5 * 4 + 1e-9, $"Tr = {trace}: 6 plus 0.5 (uᵀv)² ≤ 0.5 ‖v‖² = 2");
    }

    [Fact]
    public void TheSchurBoundHoldsForRoughPairs()
    {
        using var scope = NewDisposeScope();
        var spectrum = Spectrum(200, seed: 11);
        using var op = DenseOperator.WithSpectrum(spectrum, seed: 12);
        // Eight steps: pairs converged only to about the deflation's tolerance, so the bias is not negligible.
        using var deflation = Deflation.Find(op, 3, new StoppingRule(8, MinIterations: 4), seed: 13);
        Assert.True(deflation.Count > 0, "no pair converged in 8 steps");
        Assert.True(deflation.Residuals.Max() > 1e-9, $"the pairs are exact ({deflation.Residuals.Max():G3}): nothing to bound");
        // Tr f(A₂₂) from the dense P A P: its eigenvalues are A₂₂'s and k zeros (f(0) = 0).
        var deflated = deflation.Deflate(op);
        var columns = eye(200, dtype: ScalarType.Float64).unbind(0).Select(deflated.Apply).ToArray();
        var restricted = linalg.eigvalsh(stack(columns, 1)).data<double>().ToArray();
        double split = deflation.Values.Sum(F) + restricted.Sum(t => F(Math.Max(t, 0)));
        double exact = spectrum.Sum(F), bound = Deflation.LogBias(deflation.Values, deflation.Residuals, Delta);
        double c = exact - split;
        Assert.True(c <= 1e-8 * exact && c >= -bound - 1e-8 * exact, $"c = {c:G4} outside [−{bound:G4}, 0]");
    }
}
