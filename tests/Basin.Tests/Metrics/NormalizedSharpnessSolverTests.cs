using Basin.Metrics;
using Xunit;

namespace Basin.Tests.Metrics;

public class NormalizedSharpnessSolverTests
{
    private static double BruteForce(double[,] h, double[,] w)
    {
        // Grid search over x (rows) and y (columns) with the gauge fixed by x_0 = 0, then local refinement.
        int rows = h.GetLength(0), cols = h.GetLength(1);
        var hc = new double[rows, cols];
        var w2 = new double[rows, cols];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) { hc[i, j] = Math.Max(h[i, j], 0); w2[i, j] = w[i, j] * w[i, j]; }
        int free = rows - 1 + cols;
        var best = new double[free];
        double bestValue = double.PositiveInfinity;
        double step = 1.0;
        var current = new double[free];
        var rng = new Random(1);
        for (int start = 0; start < 200; start++)
        {
            for (int k = 0; k < free; k++) current[k] = rng.NextDouble() * 16 - 8;
            double value = Evaluate(hc, w2, current, rows, cols);
            if (value < bestValue) { bestValue = value; Array.Copy(current, best, free); }
        }
        Array.Copy(best, current, free);
        for (step = 1.0; step > 1e-9; step /= 2)
        {
            bool improved = true;
            while (improved)
            {
                improved = false;
                for (int k = 0; k < free; k++)
                {
                    foreach (var d in new[] { step, -step })
                    {
                        current[k] += d;
                        double value = Evaluate(hc, w2, current, rows, cols);
                        if (value < bestValue - 1e-15) { bestValue = value; improved = true; }
                        else current[k] -= d;
                    }
                }
            }
        }
        return bestValue;
    }

    private static double Evaluate(double[,] h, double[,] w2, double[] free, int rows, int cols)
    {
        var x = new double[rows];
        for (int i = 1; i < rows; i++) x[i] = free[i - 1];
        var y = free[(rows - 1)..];
        return NormalizedSharpnessSolver.Objective(h, w2, x, y);
    }

    [Theory]
    [InlineData(new[] { 1.0, 2.0, 0.5, 3.0 }, new[] { 1.0, -2.0, 3.0, 0.5 }, 2)]
    [InlineData(new[] { 0.3, 2.0, 0.5, 1.0, 4.0, 0.1 }, new[] { 1.0, -0.2, 3.0, 0.5, 1.5, -2.0 }, 3)]
    [InlineData(new[] { 0.3, -2.0, 0.5, 1.0, 4.0, 0.1 }, new[] { 1.0, -0.2, 3.0, 0.5, 1.5, -2.0 }, 3)]
    public void OptimumMatchesBruteForceAndHasZeroGradient(double[] hFlat, double[] wFlat, int rows)
    {
        int cols = hFlat.Length / rows;
        var h = new double[rows, cols];
        var w = new double[rows, cols];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) { h[i, j] = hFlat[i * cols + j]; w[i, j] = wFlat[i * cols + j]; }
        var optimum = NormalizedSharpnessSolver.Solve(h, w);
        double brute = BruteForce(h, w);
        Assert.True(Math.Abs(optimum.Value - brute) <= 1e-7 * brute, $"{rows}×{cols}: solver {optimum.Value} vs brute force {brute}");
        Assert.True(optimum.GradientNorm <= 1e-4 * optimum.Value, $"‖∇F‖ = {optimum.GradientNorm:G3} at the returned point (F = {optimum.Value})");
        Assert.Equal(0, optimum.Capped);
    }

    [Fact]
    public void AllZeroCurvatureRowIsCappedAndCounted()
    {
        var h = new double[,] { { 0, 0 }, { 1, 2 } };
        var w = new double[,] { { 1, 1 }, { 1, 1 } };
        var optimum = NormalizedSharpnessSolver.Solve(h, w);
        Assert.True(optimum.Capped > 0);
        Assert.True(optimum.X[0] > optimum.X[1], "the flat row's variance goes to the cap");
    }
}
