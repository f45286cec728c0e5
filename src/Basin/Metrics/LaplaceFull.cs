namespace Basin.Metrics;

/// <summary>
/// <c>pacbayes.laplace.full</c>, the metric "g" of seed 000 eq. 9 in its negated per-sample form (lower is
/// better): <c>g(w) = L(w) + ½ (1 + 1/N) log|H̃| + (Tr H̃ + ‖w‖²) / (2σ_p² N)</c>, H̃ = G + δI on the full
/// measured set, log|H̃| = log|I + G/δ| + P ln δ by SLQ (the first part, <c>hessian.logdet</c>, depends on the
/// network; the second is a constant of the settings, and both parts of the log term are reported) and
/// Tr H̃ = Tr G + δP by Hutchinson. The standard error combines those of the log-determinant (starts and
/// truncation) and the trace.
/// </summary>
public sealed class LaplaceFull() : Metric(MetricId, "seed 000 metric g: L + ½(1+1/N) log|G+δI| + (Tr + ‖w‖²)/2σ²N", "seed 000 eq. 9", CostClass.Expensive)
{
    /// <summary>Its id, <c>pacbayes.laplace.full</c>.</summary>
    public const string MetricId = "pacbayes.laplace.full";

    /// <inheritdoc />
    public override IReadOnlyList<MetricInput> Inputs(MeasureSettings settings) => [.. DeflationInput.With(settings, ProbeSummary.GgnInput), LogDeterminant.Slq];

    /// <inheritdoc />
    /// <remarks>dominated by ½ log|G + δI|, hessian.logdet's SLQ estimate.</remarks>
    public override string? DerivedFrom => LogDeterminant.MetricId;

    /// <inheritdoc />
    public override MetricResult Compute(MetricContext context)
    {
        var s = context.Settings;
        double n = context.N;
        var logdet = context.Get(LogDeterminant.Slq).RelativeLogDeterminant(context.Settings.Damping);
        double offset = context.P * Math.Log(s.Damping);
        var trace = context.Get(ProbeSummary.GgnInput).Trace;
        double traceDamped = trace.Value + s.Damping * context.P;
        double logTerm = 0.5 * (1 + 1 / n) * (logdet.Value + offset);
        double complexity = (traceDamped + context.WeightNormSquared) / (2 * s.PriorVariance * n);
        // Unknown when either part's error is (one SLQ start): a zero there would claim a precision the estimate lacks.
        double se = Math.Sqrt(Math.Pow(0.5 * (1 + 1 / n) * logdet.StandardError, 2) + Math.Pow(trace.StandardError / (2 * s.PriorVariance * n), 2));
        return Result(context, context.Loss + logTerm + complexity, se,
            [("damping", s.Damping), ("prior_variance", s.PriorVariance), ("slq_steps", s.SlqSteps), ("slq_starts", s.SlqStarts), ("probes", s.TraceProbes)],
            [("loss", context.Loss), ("logdet_term", logTerm), ("trace_term", complexity), ("logdet", logdet.Value + offset),
                ("logdet_network", logdet.Value), ("logdet_term_network", 0.5 * (1 + 1 / n) * logdet.Value), ("logdet_term_offset", 0.5 * (1 + 1 / n) * offset)]);
    }
}
