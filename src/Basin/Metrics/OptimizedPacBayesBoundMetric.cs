using Basin.Bounds;

namespace Basin.Metrics;

/// <summary>
/// <c>bound.pacbayes_optimized</c>: the risk certificate of <see cref="PacBayesCertifier"/> (Dziugaite &amp; Roy 2017;
/// Pérez-Ortiz et al. 2021) on the measured samples, with a data-dependent prior trained by the model's own
/// training config on half of them and the bound on the other half: with probability ≥ 1 − δ − δ′ the
/// stochastic network's 0-1 error is below the value. Opt-in (it trains a prior); it needs the training run
/// (<c>basin measure --checkpoint</c>, studies), and is not applicable without one.
/// </summary>
public sealed class OptimizedPacBayesBoundMetric() : Metric("bound.pacbayes_optimized", "PAC-Bayes risk certificate optimised against the bound (data-dependent prior)", "Pérez-Ortiz et al. 2021; Dziugaite & Roy 2017", CostClass.Expensive)
{
    /// <summary>Weight draws of the Monte-Carlo estimate (each on 100 bound samples).</summary>
    public const int Draws = 2000;

    /// <inheritdoc />
    public override bool OptIn => true;

    /// <inheritdoc />
    public override MetricResult Compute(MetricContext context)
    {
        if (context.Run is not { } run)
            return Result(context, double.NaN, double.NaN, [("not_applicable", "needs the training run (its config and initial weights): measure from a checkpoint")]);
        var settings = new CertifySettings { PriorSplit = 0.5, Seed = context.Settings.Seed, McDraws = Draws };
        var c = PacBayesCertifier.Certify(run, context.Samples, null, settings);
        context.Ledger.Charge(new MetricCost(Gradients: (long)settings.Epochs * ((c.BoundSamples + settings.BatchSize - 1) / settings.BatchSize), ForwardPasses: settings.McDraws));
        return Result(context, c.Risk, double.NaN,
            [("error", "none: a bound that holds with probability ≥ 1 − δ − δ′, its Monte-Carlo sampling included"), ("prior_split", settings.PriorSplit), ("objective", c.Objective.Name), ("prior_sigma", c.PriorSigma), ("delta", c.Delta), ("delta_monte_carlo", c.DeltaMonteCarlo), ("mc_draws", c.McDraws)],
            [("empirical_error_q", c.EmpiricalError), ("empirical_error_q_upper", c.EmpiricalErrorUpper), ("kl", c.Kl), ("complexity", c.Complexity), ("bound_samples", c.BoundSamples)]);
    }
}
