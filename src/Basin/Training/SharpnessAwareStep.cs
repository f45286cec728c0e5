using Basin.Operators;
using static TorchSharp.torch;

namespace Basin.Training;

/// <summary>
/// Sharpness-aware minimisation (Foret et al. 2021, eq. 2–3): the gradient taken at the worst point of a
/// ρ-ball to first order, <c>w + ε</c> with <c>ε = ρ g/‖g‖</c>, applied at w. ASAM (Kwon et al. 2021, eq. 9)
/// makes the ball adaptive with <c>T_w = diag(|w| + η)</c>: <c>ε = ρ T_w² g / ‖T_w g‖</c>, so rescaling a layer
/// leaves the step unchanged.
/// </summary>
/// <remarks>
/// Two gradients per step. The second forward pass runs in train mode too, so batch-norm running statistics
/// see the batch twice (the papers' code does the same unless it freezes them). ASAM scales every parameter,
/// biases included.
/// </remarks>
internal sealed class SharpnessAwareStep(RegularizerSettings settings) : StepMethod(settings)
{
    private readonly double rho = settings.Number("rho");
    private readonly bool adaptive = settings.Name == "asam";
    private readonly double eta = settings.Name == "asam" ? settings.Number("eta") : 0;

    public override (double Loss, Tensor[] Gradient) Gradient(TrainingStep step)
    {
        var loss = step.Loss();
        double value = loss.to(ScalarType.Float64).item<double>();
        var g = Grad(loss, step.Parameters);
        var epsilon = Ascent(step.Parameters, g);
        using var swap = new WeightSwap(step.Parameters);
        swap.Set(step.Parameters.Select((p, i) => p.detach().add(epsilon[i])).ToArray());
        return (value, Grad(step.Loss(), step.Parameters));
    }

    /// <summary>The ascent ε from the gradient <paramref name="g"/> at <paramref name="w"/>.</summary>
    internal Tensor[] Ascent(IReadOnlyList<Tensor> w, Tensor[] g)
    {
        using var noGrad = no_grad();
        var scale = adaptive ? w.Select(p => p.detach().abs().add(eta)).ToArray() : null;
        var scaled = scale is null ? g : g.Select((x, i) => x.mul(scale[i])).ToArray();
        double factor = rho / (Norm(scaled) + 1e-12);
        return scaled.Select((x, i) => (scale is null ? x : x.mul(scale[i])).mul(factor)).ToArray();
    }
}
