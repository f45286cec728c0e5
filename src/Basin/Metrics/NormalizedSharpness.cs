namespace Basin.Metrics;

/// <summary>
/// <c>sharpness.normalized</c>, seed 004 eq. 17: Σ_l min over σ, σ′ of Σ_ij h_ij (σ_i σ′_j)² + W_ij² / (2λ (σ_i σ′_j)²),
/// λ = ½, each layer's problem solved in log-variances to a relative tolerance of 1e-10
/// (<see cref="NormalizedSharpnessSolver"/>). h from finite differences of the normalized softmax
/// cross-entropy, clipped at 0; conv kernels summed over spatial positions; 1-D parameters left out.
/// Invariant to layer rescaling and to row/column rescaling of ReLU networks.
/// </summary>
public sealed class NormalizedSharpness() : Metric(MetricId, "Σ_l min_σ Σ h(σσ′)² + W²/(σσ′)² (normalized sharpness)", "seed 004 eq. 17, Appendix B", CostClass.Moderate)
{
    /// <summary>Its id, <c>sharpness.normalized</c>.</summary>
    public const string MetricId = "sharpness.normalized";

    /// <inheritdoc />
    public override IReadOnlyList<MetricInput> Inputs(MeasureSettings settings) => [DiagonalInputs.NormalizedInput];

    /// <summary>The solver's relative tolerance.</summary>
    public const double Tolerance = 1e-10;

    /// <inheritdoc />
    public override string? NotApplicable(MetricContext context) => MatrixNormalizedSharpness.Applicability(context);

    /// <inheritdoc />
    public override MetricResult Compute(MetricContext context)
    {
        long leftOut = 0;
        int count = 0, capped = 0, sweeps = 0;
        double gradient = 0;
        double Sum(TorchSharp.torch.Tensor diagonal)
        {
            (var matrices, leftOut) = WeightMatrices.Split(context, diagonal);
            count = matrices.Count;
            (double sum, capped, sweeps, gradient) = (0, 0, 0, 0);
            foreach (var m in matrices)
            {
                var w = new double[m.WeightSquared.GetLength(0), m.WeightSquared.GetLength(1)];
                for (int i = 0; i < w.GetLength(0); i++)
                    for (int j = 0; j < w.GetLength(1); j++) w[i, j] = Math.Sqrt(m.WeightSquared[i, j]);
                var optimum = NormalizedSharpnessSolver.Solve(m.Curvature, w, Tolerance);
                sum += optimum.Value;
                gradient = Math.Max(gradient, optimum.GradientNorm / Math.Max(optimum.Value, 1e-300));
                capped += optimum.Capped;
                sweeps = Math.Max(sweeps, optimum.Iterations);
            }
            return sum;
        }
        // Evaluate runs the mean last, so the solver figures reported below are those of the estimate itself.
        var (value, se) = context.NormalizedDiagonal.Evaluate(Sum);
        return Result(context, value, se, MatrixNormalizedSharpness.Settings(context).Append(("tolerance", Tolerance)),
            [("matrices", count), ("left_out_parameters", leftOut), ("capped_variances", capped), ("max_sweeps", sweeps), ("max_relative_gradient", gradient)]);
    }
}
