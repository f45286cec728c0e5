namespace Basin.Metrics;

/// <summary>
/// <c>sharpness.matrix_normalized</c>, seed 004 eq. 13: Σ_l √(‖W^(l)‖_F² · Σ_{w∈W^(l)} ∂²L/∂w²), the Hessian
/// diagonal from finite differences of gradients (eq. 61) of the normalized softmax cross-entropy
/// (eq. 20–22), clipped at 0; 1-D parameters left out. Invariant to rescaling layers (Dinh et al.), not
/// to rescaling rows and columns.
/// </summary>
public sealed class MatrixNormalizedSharpness() : Metric(MetricId, "Σ_l √(‖W_l‖_F² · Σ h over W_l), normalized-softmax loss", "seed 004 eq. 13", CostClass.Moderate)
{
    /// <summary>Its id, <c>sharpness.matrix_normalized</c>.</summary>
    public const string MetricId = "sharpness.matrix_normalized";

    /// <inheritdoc />
    public override IReadOnlyList<MetricInput> Inputs(MeasureSettings settings) => [DiagonalInputs.NormalizedInput];

    /// <inheritdoc />
    public override string? NotApplicable(MetricContext context) => MatrixNormalizedSharpness.Applicability(context);

    /// <inheritdoc />
    public override MetricResult Compute(MetricContext context)
    {
        long leftOut = 0;
        int count = 0;
        double Sum(TorchSharp.torch.Tensor diagonal)
        {
            (var matrices, leftOut) = WeightMatrices.Split(context, diagonal);
            count = matrices.Count;
            double sum = 0;
            foreach (var m in matrices)
            {
                double w2 = 0, h = 0;
                foreach (var x in m.WeightSquared) w2 += x;
                foreach (var x in m.Curvature) h += x;
                sum += Math.Sqrt(w2 * h);
            }
            return sum;
        }
        var (value, se) = context.NormalizedDiagonal.Evaluate(Sum);
        return Result(context, value, se, Settings(context), [("matrices", count), ("left_out_parameters", leftOut)]);
    }

    /// <summary>Why seed 004's metrics do not apply: they need a softmax over K ≥ 2 classes (the normalized cross-entropy) and at least one weight matrix.</summary>
    internal static string? Applicability(MetricContext context) =>
        context.Model.Loss != Models.LossKind.CrossEntropy || context.Model.Outputs < 2 ? $"needs a softmax classifier (model {context.Model.Spec} has a {context.Model.Loss} loss with {context.Model.Outputs} output(s))"
        : context.Parameters.All(p => p.Value.dim() < 2) ? $"model {context.Model.Spec} has no weight matrix (only 1-D parameters, which seed 004 leaves out)"
        : null;

    /// <summary>The settings both normalized metrics report.</summary>
    internal static IEnumerable<(string, object)> Settings(MetricContext context) =>
    [
        ("loss", "normalized softmax cross-entropy"),
        ("diagonal", context.Settings.Diagonal == DiagonalEstimator.Exact ? "exact" : "finite-difference"),
        ("probes", context.Settings.FiniteDifferenceProbes),
        ("error", context.Settings.Diagonal == DiagonalEstimator.Exact ? "none (exact diagonal)" : "batch means over probe groups"),
        ("relative_step", context.Settings.FiniteDifferenceStep),
    ];
}
