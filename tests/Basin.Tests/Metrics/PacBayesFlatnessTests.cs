using Basin.Metrics;
using Basin.Operators;
using Xunit;
using static Basin.Tests.Metrics.MetricTestModels;
using static TorchSharp.torch;

namespace Basin.Tests.Metrics;

public class PacBayesFlatnessTests
{
    [Fact]
    public void SearchFindsTheCrossingOfAClosedForm()
    {
        // Increase s² crosses 0.1 at √0.1 = 0.316228: guessed from the increase at 0.01 (exactly, the increase being quadratic),
        // bracketed and bisected to a bracket of ratio 2^(1/128); the answer is its lower end. The delta-method error:
        // 0.001 / slope, slope ≈ 2·√0.1. Nine evaluations: 0.01, the guess, its neighbour, six bisections of a ratio of √2.
        var (s, error, lo, hi, evaluations) = PacBayesFlatness.Search(x => (x * x, 0.001), 0.1, 7);
        Assert.Equal(9, evaluations);
        double truth = Math.Sqrt(0.1);
        Assert.True(s <= truth && s >= truth / Math.Pow(2, 1.0 / 128), $"s′ = {s} vs {truth}");
        Assert.True(hi / lo <= Math.Pow(2, 1.0 / 128) * (1 + 1e-12), $"bracket {lo} … {hi}");
        Assert.True(Math.Abs(error - 0.001 / (2 * truth)) < 0.01 * 0.001 / (2 * truth), $"error {error}");
        // Downward from 0.01: 1000·s crosses 0.1 at 1e-4 (a linear increase: the quadratic guess, 10^-3, is ten times too large).
        var (down, _, downLo, downHi, _) = PacBayesFlatness.Search(x => (1000 * x, 0), 0.1, 7);
        Assert.True(down <= 1e-4 && down >= 1e-4 / Math.Pow(2, 1.0 / 128), $"s′ = {down}");
        Assert.True(downHi / downLo <= Math.Pow(2, 1.0 / 128) * (1 + 1e-9), $"bracket {downLo} … {downHi}");
        // A crossing at a guess exactly (s⁴ at 0.01 is 10⁻⁸; the guess √(0.1/10⁻⁸)·0.01 = 31.6 overshoots 0.1^(1/4) = 0.562).
        var (quartic, _, _, _, _) = PacBayesFlatness.Search(x => (x * x * x * x, 0), 0.1, 7);
        Assert.True(quartic <= Math.Pow(0.1, 0.25) && quartic >= Math.Pow(0.1, 0.25) / Math.Pow(2, 1.0 / 128), $"s′ = {quartic}");
        // No crossing: NaN.
        Assert.True(double.IsNaN(PacBayesFlatness.Search(_ => (0, 0), 0.1, 7).Scale));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TheLossIncreaseAtTheFoundScaleIsTheThreshold(bool magnitudeAware)
    {
        // An independent check on a tiny model: 400 fresh Gaussian directions at the metric's σ′ (or α′, with the noise
        // u_i ∼ N(0, α′² w_i² + ε²)), not its own 32, give an expected increase of 0.1 within 4 standard errors of the
        // metric's Monte-Carlo mean (32 draws).
        using var scope = NewDisposeScope();
        var (model, data) = TanhMlp();
        using (model)
        using (data)
        {
            var r = Run(model, data, new MeasureSettings { Seed = 3 }, magnitudeAware ? "pacbayes.mag_flatness" : "pacbayes.flatness_sigma");
            double sigma = r.Terms[magnitudeAware ? "alpha" : "sigma"];
            Assert.Equal(1 / (sigma * sigma), r.Value, 10);
            var parameters = model.Module.parameters().ToArray();
            var w = ParameterSelection.Flatten(parameters.Select(p => p.detach()));
            var scale = magnitudeAware ? (w.square() * (sigma * sigma) + 1e-6).sqrt() : full_like(w, sigma);
            double loss = CrossEntropy(model, data);
            var increases = new List<double>();
            using var generator = new Generator(12345);
            for (int k = 0; k < 400; k++)
            {
                var u = randn(w.shape, w.dtype, generator: generator) * scale;
                var steps = ParameterSelection.Split(u, parameters);
                using (no_grad()) for (int i = 0; i < parameters.Length; i++) parameters[i].add_(steps[i]);
                increases.Add(CrossEntropy(model, data) - loss);
                using (no_grad()) for (int i = 0; i < parameters.Length; i++) parameters[i].sub_(steps[i]);
            }
            double mean = increases.Average(), sd = Math.Sqrt(increases.Sum(d => (d - mean) * (d - mean)) / (increases.Count - 1));
            double tolerance = 4 * Math.Sqrt(sd * sd / 32 + sd * sd / 400);
            Assert.True(Math.Abs(mean - 0.1) <= tolerance, $"E ΔL at scale {sigma}: {mean} (sd {sd}) vs 0.1 ± {tolerance}");
        }
    }
}
