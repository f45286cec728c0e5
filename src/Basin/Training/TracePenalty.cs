using Basin.Metrics;
using Basin.Operators;
using static TorchSharp.torch;

namespace Basin.Training;

/// <summary>
/// The trace-of-curvature penalty of seed 000 §6: minimise <c>L_B(w) + η Tr C_B(w)</c> with <c>C</c> the
/// Gauss-Newton matrix (default; the paper's switch from H, whose negative curvature made the objective
/// unbounded on ResNets) or the Hessian (<c>curvature=hessian</c>). The trace is one Rademacher probe per step,
/// <c>vᵀ C_B v</c>, unbiased for <c>Tr C_B</c>, and differentiated through.
/// </summary>
/// <remarks>
/// GGN: with a dummy <c>u</c>, <c>Jᵀu</c> is built with <c>create_graph</c> and <c>z = Jv = ∂((Jᵀu)·v)/∂u</c>
/// stays a function of w; <c>vᵀGv = (1/B) Σ_i z_iᵀ Λ_i z_i</c> with <see cref="OutputHessian"/> applied to the live
/// outputs, so the gradient flows through J and through Λ. Hessian: <c>vᵀHv = v·∂(g·v)/∂w</c> with
/// <c>g = ∂L/∂w</c> kept in the graph. Either costs a forward, a backward, a double backward and the
/// backward of all that: about three SGD steps.
/// </remarks>
internal sealed class TracePenalty(RegularizerSettings settings) : StepMethod(settings)
{
    /// <summary>Its declaration: it lowers the trace of its curvature, and so the other trace too.</summary>
    public static StepMethodInfo Info { get; } = new("trace", "η Tr C_B(w) penalty, one Rademacher probe per step (seed 000 §6)",
        [new("eta", 3e-4, 0, 1), new("curvature", Words: ["ggn", "hessian"])], s => new TracePenalty(s))
    {
        Lowers = s => s.Word("curvature") == "hessian" ? [HessianTrace.MetricId, GgnTrace.MetricId] : [GgnTrace.MetricId, HessianTrace.MetricId],
    };

    private readonly double eta = settings.Number("eta");
    private readonly bool hessian = settings.Word("curvature") == "hessian";

    public override (double Loss, Tensor[] Gradient) Gradient(TrainingStep step)
    {
        var v = Probe(step);
        var (loss, penalty) = hessian ? HessianQuadratic(step, v) : GgnQuadratic(step, v);
        return (loss.to(ScalarType.Float64).item<double>(), Grad(loss.add(penalty.mul(eta)), step.Parameters));
    }

    /// <summary>The step's Rademacher probe, one ±1 tensor per parameter.</summary>
    internal static Tensor[] Probe(TrainingStep step) => step.Draw((shape, g) => randint(0, 2, shape, ScalarType.Int8, generator: g).mul(2).sub(1));

    /// <summary>The loss and <c>vᵀ G_B v</c>, both in the graph.</summary>
    internal static (Tensor Loss, Tensor Quadratic) GgnQuadratic(TrainingStep step, Tensor[] v)
    {
        var output = step.Model.Module.forward(step.Inputs);
        var loss = Models.Losses.Mean(step.Model.Loss, output, step.Labels, step.LabelSmoothing);
        var dummy = zeros_like(output).requires_grad_(true);
        var jtu = CurvatureOperator.Grad(output, step.Parameters, createGraph: true, gradOutput: dummy);
        var z = CurvatureOperator.Grad(Dot(jtu, v), [dummy], createGraph: true)[0];
        var quadratic = z.mul(OutputHessian.Times(step.Model.Loss, output, step.Labels, z)).sum().div(output.shape[0]);
        return (loss, quadratic);
    }

    /// <summary>The loss and <c>vᵀ H_B v</c>, both in the graph.</summary>
    internal static (Tensor Loss, Tensor Quadratic) HessianQuadratic(TrainingStep step, Tensor[] v)
    {
        var loss = step.Loss();
        var g = Grad(loss, step.Parameters, createGraph: true);
        var hv = Grad(Dot(g, v), step.Parameters, createGraph: true);
        return (loss, Dot(hv, v));
    }
}
