using Basin.Bounds;

namespace Basin.Metrics;

/// <summary>
/// <c>bound.pacbayes_optimized</c>: the risk certificate of <see cref="PacBayesCertifier"/> (Dziugaite &amp; Roy 2017;
/// Pérez-Ortiz et al. 2021) of the measured model itself — checkpoint mode, Q = N(μ, diag σ²) starting at its weights —
/// with a data-free prior (the run's initial weights; zero for a model Basin did not train) and the bound on all the
/// measured samples: with probability ≥ 1 − δ − δ′ the stochastic network's 0-1 error is below the value. So it depends
/// on the model it is reported for, and a study can rank models by it. Opt-in (it optimises a posterior); refused with
/// the reason for batch-norm models, whose statistics a data-free prior cannot supply.
/// </summary>
public sealed class OptimizedPacBayesBoundMetric() : Metric(MetricId, "PAC-Bayes risk certificate of the model's neighbourhood, optimised against the bound (data-free prior)", "Pérez-Ortiz et al. 2021; Dziugaite & Roy 2017", CostClass.Expensive)
{
    /// <summary>Its id, <c>bound.pacbayes_optimized</c>.</summary>
    public const string MetricId = "bound.pacbayes_optimized";

    /// <summary>Weight draws of the Monte-Carlo estimate (each on 100 bound samples).</summary>
    public const int Draws = 2000;

    /// <summary>The prior's standard deviation: the grid value that gave the best data-free certificates of the guide's MLP (docs/results/certificates.md).</summary>
    public const double PriorSigma = 0.1;

    /// <inheritdoc />
    public override bool OptIn => true;

    /// <inheritdoc />
    public override MetricResult Compute(MetricContext context)
    {
        var settings = new CertifySettings { Mode = CertifyMode.Checkpoint, PriorSplit = 0, PriorSigma = PriorSigma, Seed = context.Settings.Seed, McDraws = Draws };
        if (PacBayesCertifier.Refusal(context.Model, context.Training, settings) is { } reason)
            return Result(context, double.NaN, double.NaN, [("not_applicable", reason)]);
        var c = PacBayesCertifier.Certify(context.Model, context.Training, context.Samples, null, settings);
        context.Ledger.Charge(new MetricCost(Gradients: (long)settings.Epochs * ((c.PosteriorSamples + settings.BatchSize - 1) / settings.BatchSize), ForwardPasses: settings.McDraws));
        return Result(context, c.Risk, c.RiskStandardError,
            [("error", "the Monte-Carlo standard error of Q's empirical error carried through both kl inversions (the optimisation's seed-to-seed variation not included); the value is a bound that holds with probability ≥ 1 − δ − δ′"), ("mode", "checkpoint"), ("prior", c.Prior), ("objective", c.Objective.Name), ("prior_sigma", c.PriorSigma), ("delta", c.Delta), ("delta_monte_carlo", c.DeltaMonteCarlo), ("mc_draws", c.McDraws)],
            [("empirical_error_q", c.EmpiricalError), ("empirical_error_q_upper", c.EmpiricalErrorUpper), ("kl", c.Kl), ("complexity", c.Complexity), ("bound_samples", c.BoundSamples), ("checkpoint_distance_rms", c.CheckpointDistance)]);
    }
}
