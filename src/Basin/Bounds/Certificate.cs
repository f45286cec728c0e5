namespace Basin.Bounds;

/// <summary>
/// A PAC-Bayes risk certificate of a stochastic network Q = N(μ, diag σ²): with probability at least
/// 1 − δ − δ′ over the bound set and the Monte-Carlo draws, the expected 0-1 error of Q on new data is at
/// most <see cref="Risk"/>.
/// </summary>
/// <param name="Risk">The certificate: <c>kl⁻¹(EmpiricalErrorUpper, Complexity)</c>.</param>
/// <param name="EmpiricalError">Q's 0-1 error on the bound set, estimated from the weight draws.</param>
/// <param name="EmpiricalErrorUpper">Its sample-convergence bound <c>kl⁻¹(EmpiricalError, ln(2/δ′)/m)</c>.</param>
/// <param name="Kl">KL(Q ‖ P) at the chosen prior variance.</param>
/// <param name="Complexity"><c>(KL + ln(2√n·J/δ)) / n</c>: J grid values of the prior variance, paid by a union bound.</param>
/// <param name="PriorSigma">The prior's standard deviation, from the grid.</param>
/// <param name="GridSize">J.</param>
/// <param name="BoundSamples">n, the samples the bound is evaluated on (none of which the prior saw).</param>
/// <param name="PriorSamples">The samples that trained the prior mean (0: a data-free prior).</param>
/// <param name="McDraws">m, weight draws of the Monte-Carlo estimate.</param>
/// <param name="Delta">δ.</param>
/// <param name="DeltaMonteCarlo">δ′.</param>
/// <param name="NetworkTestError">The checkpoint's (deterministic) network's test error, with its own batch-norm statistics.</param>
/// <param name="PosteriorMeanTestError">The posterior mean μ's test error (as Q evaluates it).</param>
/// <param name="StochasticTestError">Q's test error, estimated from a few draws on the test set (what the certificate bounds).</param>
/// <param name="Objective">The training objective and its value at the end of each epoch.</param>
/// <param name="Seconds">Wall time.</param>
public sealed record Certificate(
    double Risk, double EmpiricalError, double EmpiricalErrorUpper, double Kl, double Complexity, double PriorSigma, int GridSize,
    int BoundSamples, int PriorSamples, int McDraws, double Delta, double DeltaMonteCarlo,
    double NetworkTestError, double PosteriorMeanTestError, double StochasticTestError, (string Name, double[] PerEpoch) Objective, double Seconds)
{
    /// <summary>The standard error of <see cref="EmpiricalError"/> over the weight draws (NaN with one draw).</summary>
    public double EmpiricalErrorStandardError { get; init; }

    /// <summary>
    /// A noise figure of <see cref="Risk"/> at this posterior: the Monte-Carlo standard error of Q's empirical error carried
    /// through both kl inversions (a central difference); the seed-to-seed variation of the optimisation is not in it.
    /// </summary>
    public double RiskStandardError
    {
        get
        {
            double se = EmpiricalErrorStandardError, mc = Math.Log(2 / DeltaMonteCarlo) / McDraws;
            if (!(se > 0)) return se == 0 ? 0 : double.NaN;
            double Risk(double q) => KlDivergence.InverseUpper(KlDivergence.InverseUpper(Math.Clamp(q, 0, 1), mc), Complexity);
            return Math.Abs(Risk(EmpiricalError + se) - Risk(EmpiricalError - se)) / 2;
        }
    }

    /// <summary>Which network is certified: the checkpoint's neighbourhood or a retrained one.</summary>
    public CertifyMode Mode { get; init; }

    /// <summary>One sentence: which network Q is, and where its mean ended.</summary>
    public string Certified { get; init; } = "";

    /// <summary>One sentence: what the prior's mean is, what data it saw and what the bound used.</summary>
    public string Prior { get; init; } = "";

    /// <summary>Root-mean-square distance per weight between Q's final mean and the checkpoint's weights.</summary>
    public double CheckpointDistance { get; init; }

    /// <summary>Root-mean-square distance per weight between the prior's mean and the checkpoint's weights (how far μ could be pulled).</summary>
    public double PriorDistance { get; init; }

    /// <summary>
    /// How far along the line from the checkpoint's weights w to the prior's mean μ₀ Q's mean μ ended:
    /// ⟨μ − w, μ₀ − w⟩ / ‖μ₀ − w‖² (0: at the checkpoint, 1: at the prior's mean).
    /// </summary>
    public double TowardPrior { get; init; }

    /// <summary>The median of Q's per-weight standard deviations σ at the end.</summary>
    public double PosteriorSigmaMedian { get; init; }

    /// <summary>Prior samples on which Q's batch-norm statistics are recomputed at every weight draw (0: the model has none).</summary>
    public int StatisticsSamples { get; init; }

    /// <summary>Samples the posterior was optimised on, and so the n of its objective (all the training samples, as Pérez-Ortiz et al.'s code does).</summary>
    public int PosteriorSamples { get; init; }
}
