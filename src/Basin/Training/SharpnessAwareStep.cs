using Basin.Metrics;
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
/// Two gradients per step. The second forward pass, at w + ε, runs in train mode (batch statistics) but gives the
/// batch-norm running statistics back, so they are updated once per step at w, as SAM's reference implementation does
/// by disabling them for that pass. ASAM scales by name as its authors' code does (SamsungLabs/ASAM, <c>'weight' in n</c>):
/// every parameter whose name contains "weight" — linear and convolution weights, and batch norm's γ, which PyTorch
/// names <c>weight</c> — has T = |w| + η; biases and batch norm's β have T = 1, so ε on a bias is plain SAM's direction.
/// </remarks>
internal sealed class SharpnessAwareStep(RegularizerSettings settings) : StepMethod(settings)
{
    /// <summary>SAM's declaration: it lowers the worst loss in a ball, which Keskar's sharpness and λ₁ measure.</summary>
    public static StepMethodInfo Sam { get; } = new("sam", "sharpness-aware minimisation (Foret et al. 2021)", [new("rho", 0.05, 0, 100)], s => new SharpnessAwareStep(s))
    {
        Lowers = _ => [KeskarSharpness.MetricId, TopEigenvalue.HessianId],
    };

    /// <summary>ASAM's declaration.</summary>
    public static StepMethodInfo Asam { get; } = new("asam", "adaptive SAM, ascent scaled by |w| + η (Kwon et al. 2021)", [new("rho", 0.5, 0, 100), new("eta", 0.01, 0, 10)], s => new SharpnessAwareStep(s))
    {
        Lowers = _ => [KeskarSharpness.MetricId, TopEigenvalue.HessianId],
    };

    private readonly double rho = settings.Number("rho");
    private readonly bool adaptive = settings.Name == Asam.Name;
    private readonly double eta = settings.Name == Asam.Name ? settings.Number("eta") : 0;

    public override (double Loss, Tensor[] Gradient) Gradient(TrainingStep step)
    {
        var loss = step.Loss();
        double value = loss.to(ScalarType.Float64).item<double>();
        var g = Grad(loss, step.Parameters);
        var epsilon = Ascent(step.Parameters, step.ParameterNames, g);
        using var swap = new WeightSwap(step.Parameters);
        swap.Set(step.Parameters.Select((p, i) => p.detach().add(epsilon[i])).ToArray());
        return (value, step.KeepingStatistics(() => Grad(step.Loss(), step.Parameters)));
    }

    /// <summary>
    /// The ascent ε from the gradient <paramref name="g"/> at <paramref name="w"/>: ρ g/‖g‖ (SAM), or ρ T² g/‖T g‖ (ASAM) with
    /// T = |w| + η on the parameters whose <paramref name="names"/> contain "weight" and T = 1 on the rest.
    /// </summary>
    internal Tensor[] Ascent(IReadOnlyList<Tensor> w, IReadOnlyList<string> names, Tensor[] g)
    {
        using var noGrad = no_grad();
        var scale = adaptive ? w.Select((p, i) => names[i].Contains("weight", StringComparison.Ordinal) ? p.detach().abs().add(eta) : null).ToArray() : null;
        var scaled = scale is null ? g : g.Select((x, i) => scale[i] is { } t ? x.mul(t) : x).ToArray();
        double factor = rho / (Norm(scaled) + 1e-12);
        return scaled.Select((x, i) => (scale?[i] is { } t ? x.mul(t) : x).mul(factor)).ToArray();
    }
}
