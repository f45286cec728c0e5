using Basin.Operators;
using Basin.Tests.Operators;
using Basin.Training;
using Xunit;
using static TorchSharp.torch;

namespace Basin.Tests.Training;

/// <summary>Which weights' perturbed-OPT σ the curvature term sets (σ &lt; κ), against seed 003 Alg. 1 computed by hand.</summary>
public class PerturbedRegimeTests
{
    [Theory]
    [InlineData(100.0, 0.1)]
    [InlineData(1e7, 0.1)]
    [InlineData(1e9, 1.0)]
    public void TheCurvatureSetFractionFollowsTheDefinition(double eta, double gamma)
    {
        var model = DenseReference.Float64("mlp:4-5-3", [4], 3, 3);
        var (x, y) = DenseReference.Batch(16, [4], 3, 4);
        var ps = model.Module.parameters().ToArray();
        var method = (PerturbedOptimization)StepMethod.Create(RegularizerSettings.Parse($"perturbed:eta={eta},gamma={gamma}"));
        // Before any step h = 0: the curvature term is infinite, σ = κ everywhere.
        var w = ParameterSelection.Flatten(ps.Select(p => p.detach()));
        Assert.Equal(0, method.CurvatureSetFraction(w, 1));
        // One step (epoch 1, no perturbation yet since h = 0 makes σ = κ … drawn, then h = (1 − β₁) g² at the perturbed point).
        using (var step = new TrainingStep(model, ps, x, y, 0, 1, 11)) method.Gradient(step);
        var h = method.State["h"];
        // At the same weights in epoch 2: ρ = |h − h_prev| / ‖w − w_prev‖ with w = w_prev, so ρ is taken as 0 (no move).
        const double epsilon = 1e-5, le = 1.0986122886681098; // ln(1 + 2)
        var kappa = w.abs() * (gamma / le) + epsilon;
        var curvature = (h * eta).sqrt().mul(le).reciprocal();
        double expected = curvature.lt(kappa).to(ScalarType.Float64).mean().item<double>();
        Assert.Equal(expected, method.CurvatureSetFraction(w, 2), 12);
        // The defaults' η = 100 leave every σ at κ (uniform noise ±κ); a far larger η lets curvature set some.
        if (eta == 100) Assert.Equal(0, expected);
        if (eta >= 1e9) Assert.InRange(expected, 1e-3, 1);
        method.Dispose();
        model.Dispose();
    }
}
