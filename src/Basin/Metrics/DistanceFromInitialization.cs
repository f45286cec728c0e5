using static TorchSharp.torch;

namespace Basin.Metrics;

/// <summary>
/// <c>norm.frobenius_distance</c>: ‖w − w₀‖₂ over all trainable parameters, w₀ the initial weights of the training run
/// (Jiang et al. 2020 §C, "distance from initialization"; Nagarajan &amp; Kolter 2019). Needs the run (a checkpoint or a
/// study); not applicable without it.
/// </summary>
public sealed class DistanceFromInitialization() : Metric(MetricId, "distance from the initial weights ‖w − w₀‖₂", "Jiang et al. 2020 §C (dist. from init.)", CostClass.Cheap)
{
    /// <summary>Its id, <c>norm.frobenius_distance</c>.</summary>
    public const string MetricId = "norm.frobenius_distance";

    /// <inheritdoc />
    public override MetricRole Role => MetricRole.Baseline;

    /// <inheritdoc />
    public override string? NotApplicable(MetricContext context) =>
        context.Training is null ? "needs the initial weights of the training run: measure from a checkpoint"
        : context.Parameters.FirstOrDefault(p => !context.Training.InitialWeights.ContainsKey(p.Name)).Name is { } missing ? $"the run has no initial value of '{missing}'"
        : null;

    /// <inheritdoc />
    public override MetricResult Compute(MetricContext context)
    {
        using var scope = NewDisposeScope();
        double sum = 0;
        foreach (var (name, p) in context.Parameters)
            sum += (p.detach().to(ScalarType.Float64) - context.Training!.InitialWeights[name].to(p.device).to(ScalarType.Float64)).square().sum().item<double>();
        return Result(context, Math.Sqrt(sum), 0, [("parameters", context.Parameters.Length)]);
    }
}
