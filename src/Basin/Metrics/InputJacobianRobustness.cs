using Basin.Estimators;
using Basin.Models;
using Basin.Operators;
using static TorchSharp.torch;

namespace Basin.Metrics;

/// <summary>
/// <c>robustness.input_jacobian</c>: (1/N) Σ ‖∂p_w(x)/∂x‖₂, the spectral norm of each sample's K×d Jacobian
/// of the softmax output with respect to the input (Sokolic et al. 2017; seed 001 §7.1 baseline). K
/// backward passes per batch, batch norm in eval mode.
/// </summary>
public sealed class InputJacobianRobustness() : Metric(MetricId, "mean spectral norm of the input–output Jacobian of the softmax", "seed 001 §7.1; Sokolic et al. 2017", CostClass.Moderate)
{
    /// <summary>Its id, <c>robustness.input_jacobian</c>.</summary>
    public const string MetricId = "robustness.input_jacobian";

    /// <summary>One forward pass and one backward per output over the samples.</summary>
    public static MetricInput Jacobian { get; } = new("input Jacobian", (_, _, factors) => new MetricCost(ForwardPasses: 1, Gradients: factors));

    /// <inheritdoc />
    public override IReadOnlyList<MetricInput> Inputs(MeasureSettings settings) => [Jacobian];

    /// <inheritdoc />
    public override string? NotApplicable(MetricContext context) =>
        context.Model.Loss != LossKind.CrossEntropy || context.Model.Outputs < 2
            ? $"needs a softmax output over K ≥ 2 classes (model {context.Model.Spec} has a {context.Model.Loss} loss with {context.Model.Outputs} output(s))"
            : null;

    /// <inheritdoc />
    public override MetricResult Compute(MetricContext context)
    {
        var model = context.Model;
        using var mode = new ModeScope(model.Module, train: false);
        var norms = new List<double>();
        var dtype = context.Weights.dtype;
        var device = context.Weights.device;
        foreach (var batch in context.Data.Batches(device, dtype))
            {
                using var scope = NewDisposeScope();
                var x = batch.Inputs.detach().requires_grad_(true);
                var p = nn.functional.softmax(model.Module.forward(x), 1);
                long k = p.shape[1];
                var rows = new Tensor[k];
                for (long c = 0; c < k; c++)
                    rows[c] = autograd.grad([p[.., c].sum()], [x], retain_graph: c < k - 1)[0].reshape(x.shape[0], -1);
                var jacobian = stack(rows, 1).to(ScalarType.Float64); // [B, K, d]
                norms.AddRange(linalg.svdvals(jacobian).max(1).values.data<double>().ToArray());
            }
        context.Ledger.Charge(new MetricCost(ForwardPasses: 1, Gradients: context.Model.Outputs));
        var (mean, se) = RunningStatistics.MeanAndError(norms);
        return Result(context, mean, se, [("norm", "spectral"), ("samples", norms.Count)]);
    }
}
