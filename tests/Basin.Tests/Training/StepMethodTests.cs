using Basin.Models;
using Basin.Operators;
using Basin.Tests.Operators;
using Basin.Training;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace Basin.Tests.Training;

/// <summary>The step methods in float64 on tiny models: gradients against central differences of the objective each claims to descend.</summary>
public class StepMethodTests
{
    private static (Model Model, Tensor X, Tensor Y) Tiny(string spec = "mlp:4-5-3", int seed = 3)
    {
        var model = DenseReference.Float64(spec, [4], 3, seed);
        var (x, y) = DenseReference.Batch(16, [4], 3, seed + 1);
        return (model, x, y);
    }

    private static TrainingStep Step(Model model, Tensor x, Tensor y, ulong seed = 11, int epoch = 1) =>
        new(model, model.Module.parameters().ToArray(), x, y, 0, epoch, seed);

    private static Tensor Flat(IEnumerable<Tensor> g) => ParameterSelection.Flatten(g.Select(t => t.detach()));

    /// <summary>Checks <paramref name="gradient"/> against central differences of <paramref name="objective"/> along 4 random directions.</summary>
    private static void AssertGradient(Model model, Tensor[] gradient, Func<double> objective, string what, double tolerance = 1e-6)
    {
        var ps = model.Module.parameters().ToArray();
        var g = Flat(gradient);
        using var generator = new Generator(99);
        for (int k = 0; k < 4; k++)
        {
            var d = randn([g.numel()], ScalarType.Float64, generator: generator);
            const double h = 1e-5;
            double plus, minus;
            using (var swap = new WeightSwap(ps)) { swap.Set(swap.Original + h * d); plus = objective(); }
            using (var swap = new WeightSwap(ps)) { swap.Set(swap.Original - h * d); minus = objective(); }
            double fd = (plus - minus) / (2 * h), analytic = g.dot(d).item<double>();
            double rel = Math.Abs(fd - analytic) / Math.Max(Math.Abs(fd), 1e-8);
            Assert.True(rel < tolerance, $"{what}: directional derivative {k}: gradient·d = {analytic:G10}, central difference {fd:G10}, rel err {rel:G3}");
        }
    }

    [Theory]
    [InlineData("ggn")]
    [InlineData("hessian")]
    public void TracePenaltyGradientIsThatOfThePenalisedObjective(string curvature)
    {
        var (model, x, y) = Tiny("mlp:4-5-3");
        using var method = StepMethod.Create(RegularizerSettings.Parse($"trace:eta=0.3,curvature={curvature}"));
        using var step = Step(model, x, y);
        var (_, g) = method.Gradient(step);
        using var again = Step(model, x, y);
        var v = TracePenalty.Probe(again);
        AssertGradient(model, g, () =>
        {
            var (loss, quadratic) = curvature == "ggn" ? TracePenalty.GgnQuadratic(again, v) : TracePenalty.HessianQuadratic(again, v);
            return loss.item<double>() + 0.3 * quadratic.item<double>();
        }, $"L + η vᵀ{(curvature == "ggn" ? "G" : "H")}v");
    }

    [Theory]
    [InlineData("ggn")]
    [InlineData("hessian")]
    public void TraceProbeIsUnbiasedForTheDenseTrace(string curvature)
    {
        var (model, x, y) = Tiny("mlp:4-5-3");
        double dense = (curvature == "ggn" ? DenseReference.Ggn(model, x) : DenseReference.Hessian(model, x, y)).trace().item<double>();
        var values = new double[3000];
        for (int i = 0; i < values.Length; i++)
        {
            using var scope = NewDisposeScope();
            using var step = Step(model, x, y, seed: (ulong)i);
            var v = TracePenalty.Probe(step);
            values[i] = (curvature == "ggn" ? TracePenalty.GgnQuadratic(step, v) : TracePenalty.HessianQuadratic(step, v)).Quadratic.item<double>();
        }
        double mean = values.Average(), se = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1) / values.Length);
        Assert.True(Math.Abs(mean - dense) < 4 * se, $"mean of {values.Length} probes vᵀCv = {mean:G6} ± {se:G3}, dense Tr C = {dense:G6}");
        Assert.True(se < 0.05 * Math.Abs(dense), $"the probe mean's standard error {se:G3} is not small against Tr C = {dense:G6}: the test could not fail");
    }

    [Fact]
    public void FisherRegularizerGradientIsThatOfItsObjectiveWithDetachedSubBatchGradients()
    {
        var (model, x, y) = Tiny();
        const double alpha = 0.05, beta = 3;
        using var method = StepMethod.Create(RegularizerSettings.Parse($"fisher:alpha={alpha},beta={beta},m=4,clip=0"));
        using var step = Step(model, x, y);
        var (_, g) = method.Gradient(step);
        var ps = model.Module.parameters().ToArray();
        var xs = x.tensor_split(4);
        var ys = y.tensor_split(4);
        var gi = xs.Select((xi, i) => Flat(autograd.grad([step.Loss(xi, ys[i])], ps))).ToArray();
        AssertGradient(model, g, () =>
        {
            double f = step.Loss().item<double>();
            for (int i = 0; i < 4; i++)
            {
                f += beta / 4 * step.Loss(xs[i], ys[i]).item<double>();
                using var swap = new WeightSwap(ps);
                swap.Set(swap.Original - alpha * gi[i]);
                f -= beta / 4 * step.Loss(xs[i], ys[i]).item<double>();
            }
            return f;
        }, "L(B, w) + β R_α(w) with g_i held at w");
    }

    [Fact]
    public void FisherRegularizerTendsToAlphaTimesTheSquaredGradientNorm()
    {
        var (model, x, y) = Tiny();
        var ps = model.Module.parameters().ToArray();
        using var step = Step(model, x, y);
        var xs = x.tensor_split(4);
        var ys = y.tensor_split(4);
        double normSquared = xs.Select((xi, i) => Flat(autograd.grad([step.Loss(xi, ys[i])], ps)).square().sum().item<double>()).Average();
        double RelativeGap(double alpha)
        {
            var method = (FisherTraceRegularizer)StepMethod.Create(RegularizerSettings.Parse($"fisher:alpha={alpha},m=4"));
            return Math.Abs(method.Value(step) / alpha - normSquared) / normSquared;
        }
        double far = RelativeGap(1e-2), near = RelativeGap(1e-4), nearer = RelativeGap(1e-6);
        Assert.True(nearer < 1e-5, $"R_α/α vs (1/M) Σ ‖g_i‖² = {normSquared:G6}: rel gap {nearer:G3} at α = 1e-6");
        Assert.True(nearer < near && near < far, $"the gap does not shrink with α: {far:G3} (1e-2), {near:G3} (1e-4), {nearer:G3} (1e-6)");
    }

    /// <summary>Softmax regression's gradient in closed form: ∇_W = (1/B) Σ (p − e_y) xᵀ, ∇_b = mean(p − e_y).</summary>
    private static Tensor SoftmaxGradient(Tensor weight, Tensor bias, Tensor x, Tensor y)
    {
        var r = nn.functional.softmax(x.matmul(weight.t()) + bias, 1) - nn.functional.one_hot(y, 3).to(ScalarType.Float64);
        return cat([r.t().matmul(x).div(x.shape[0]).reshape(-1), r.mean([0])]);
    }

    [Theory]
    [InlineData("sam:rho=0.3")]
    [InlineData("asam:rho=0.7,eta=0.05")]
    public void SharpnessAwareStepEqualsTheHandComputedOne(string text)
    {
        var (model, x, y) = Tiny("softmax");
        var ps = model.Module.parameters().ToArray();
        using var method = StepMethod.Create(RegularizerSettings.Parse(text));
        using var step = Step(model, x, y);
        var (_, g) = method.Gradient(step);
        using var noGrad = no_grad();
        var w = Flat(ps);
        var g0 = SoftmaxGradient(ps[0], ps[1], x, y);
        // ASAM as its authors' code: T = |w| + η on the weight (entries 0–11), T = 1 on the bias (12–14), so ε on the bias has
        // plain SAM's direction g_b, scaled by ρ/‖T g‖.
        var t = text.StartsWith("asam", StringComparison.Ordinal) ? cat([w.narrow(0, 0, 12).abs() + 0.05, ones(3, ScalarType.Float64)]) : ones_like(w);
        double rho = text.StartsWith("asam", StringComparison.Ordinal) ? 0.7 : 0.3;
        var e = rho * t * t * g0 / (t * g0).norm();
        var at = w + e;
        var expected = SoftmaxGradient(at.narrow(0, 0, 12).reshape(3, 4), at.narrow(0, 12, 3), x, y);
        Assert.True(DenseReference.RelativeError(Flat(g), expected) < 1e-12, $"{text}: step direction vs closed form, rel err {DenseReference.RelativeError(Flat(g), expected):G3}");
        Assert.True(DenseReference.RelativeError(Flat(ps), w) == 0, "the weights were not restored after the ascent");
    }

    [Fact]
    public void PerturbedOptPerturbationIsBoundedAndMaskedWhereTheGradientIsLarge()
    {
        var (model, x, y) = Tiny();
        const double gamma = 0.5, beta2 = 0.02, eps = 1e-5;
        var method = (PerturbedOptimization)StepMethod.Create(RegularizerSettings.Parse($"perturbed:eta=50,gamma={gamma},beta2={beta2}"));
        var ps = model.Module.parameters().ToArray();
        using (var first = Step(model, x, y, seed: 1, epoch: 2))
        {
            var w0 = Flat(ps);
            double le = Math.Log(3);
            var kappa0 = w0.abs() * (gamma / le) + eps;
            Assert.True(DenseReference.RelativeError(method.Sigma(w0, 2), kappa0) < 1e-14, "at the first step (h = 0, no gradient yet) σ must be κ");
        }
        for (ulong s = 1; s <= 3; s++)
        {
            using var step = Step(model, x, y, seed: s, epoch: 2);
            var (_, g) = method.Gradient(step);
            using var noGrad = no_grad();
            for (int i = 0; i < ps.Length; i++) ps[i].add_(g[i], alpha: -0.1);
        }
        using (no_grad())
        {
            var w = Flat(ps);
            var kappa = w.abs() * (gamma / Math.Log(3)) + eps;
            var sigma = method.Sigma(w, 2);
            using var generator = new Generator(5);
            var u = method.Perturbation(w, 2, generator);
            var masked = method.State["g_previous"].abs().ge(beta2);
            Assert.True(u.abs().le(sigma).all().item<bool>(), "some |u_i| > σ_i");
            Assert.True(sigma.le(kappa).all().item<bool>(), "some σ_i > κ_i");
            Assert.True(sigma.masked_select(masked).eq(0).all().item<bool>() && u.masked_select(masked).eq(0).all().item<bool>(), "σ or u is not 0 where |g_i| ≥ β₂");
            long count = masked.sum().item<long>();
            Assert.True(count > 0 && count < w.numel(), $"{count} of {w.numel()} entries masked: the test needs some of each");
            Assert.True(sigma.masked_select(masked.logical_not()).gt(0).all().item<bool>(), "σ is 0 where the gradient is small");
        }
    }

    [Fact]
    public void PerturbedOptAppliesTheGradientAtThePerturbedPoint()
    {
        var (model, x, y) = Tiny();
        using var method = (PerturbedOptimization)StepMethod.Create(RegularizerSettings.Parse("perturbed"));
        var ps = model.Module.parameters().ToArray();
        using var step = Step(model, x, y, seed: 21);
        var w = Flat(ps);
        var (_, g) = method.Gradient(step);
        using var generator = new Generator(21);
        using var fresh = (PerturbedOptimization)StepMethod.Create(RegularizerSettings.Parse("perturbed"));
        var u = fresh.Perturbation(w, 1, generator);
        Assert.True(u.abs().gt(0).any().item<bool>(), "no perturbation drawn");
        using var swap = new WeightSwap(ps);
        swap.Set(w + u);
        var expected = Flat(autograd.grad([step.Loss()], ps));
        Assert.True(DenseReference.RelativeError(Flat(g), expected) < 1e-14, "Perturbed OPT's gradient is not ∇L(w + u)");
    }
}

/// <summary>Iterate averaging on a model with batch norm.</summary>
public class IterateAverageTests
{
    [Theory]
    [InlineData(40)]
    [InlineData(20)]
    [InlineData(10)]
    public void BatchNormStatisticsAreRecomputedForTheAveragedWeights(int batchSize)
    {
        using var model = DenseReference.TinyCnn(seed: 2);
        var (x, y) = DenseReference.Batch(40, [1, 5, 5], 3, seed: 8);
        using var data = new Basin.Data.Dataset("tiny", x, y, 3);
        using var average = new IterateAverage();
        average.Add(model);
        using (no_grad()) foreach (var p in model.Module.parameters()) p.mul_(3);
        average.Add(model);
        average.ApplyTo(model, data, batchSize);
        var bn = (TorchSharp.Modules.BatchNorm2d)model.Module.named_modules().First(m => m.name == "1").module;
        // Weights are the mean of w and 3w = 2w; the statistics are those of the conv output at 2w over all 40 samples
        // (equal batches: the mean of the batch means is the overall mean; one batch: the unbiased variance as well).
        var conv = model.Module.named_modules().First(m => m.name == "0").module as TorchSharp.Modules.Conv2d;
        using var noGrad = no_grad();
        var z = conv!.forward(x);
        Assert.True(DenseReference.RelativeError(bn.running_mean!, z.mean([0, 2, 3])) < 1e-12, $"running mean vs the conv output's mean, batch {batchSize}");
        if (batchSize == 40)
            Assert.True(DenseReference.RelativeError(bn.running_var!, z.var([0, 2, 3], unbiased: true)) < 1e-12, "running variance vs the conv output's unbiased variance");
        Assert.Equal(0.1, bn.momentum);
        Assert.True(average.Applied);
    }
}
