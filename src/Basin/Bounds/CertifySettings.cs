namespace Basin.Bounds;

/// <summary>How a PAC-Bayes certificate is optimised and evaluated (defaults after Pérez-Ortiz et al. 2021, scaled to 2 cores).</summary>
public sealed record CertifySettings
{
    /// <summary>Which network is certified: the checkpoint's neighbourhood (default) or a retrained one.</summary>
    public CertifyMode Mode { get; init; } = CertifyMode.Checkpoint;

    /// <summary>
    /// Keep Q's mean at the checkpoint's weights and optimise only σ (checkpoint mode): the certificate of exactly the
    /// checkpoint's neighbourhood, whatever the KL of its distance from the prior costs.
    /// </summary>
    public bool FixedMean { get; init; }

    /// <summary>The training objective of the posterior.</summary>
    public PacBayesObjective Objective { get; init; } = PacBayesObjective.Quad;

    /// <summary>Confidence δ of the PAC-Bayes-kl bound (shared by the union over the prior-variance grid).</summary>
    public double Delta { get; init; } = 0.025;

    /// <summary>Confidence δ′ of the Monte-Carlo (sample-convergence) bound on Q's empirical error.</summary>
    public double DeltaMonteCarlo { get; init; } = 0.01;

    /// <summary>Fraction of the training set that trains the prior mean (0: a data-free prior, centred at the initial weights; default 0.5).</summary>
    public double PriorSplit { get; init; } = 0.5;

    /// <summary>
    /// The prior's standard deviation σ_P, one of <see cref="PacBayesCertifier.PriorSigmaGrid"/> (the bound pays a union over
    /// the grid, so any grid value may be tried; a value within 1% of one, e.g. 0.0316, means it); the posterior's σ starts there.
    /// </summary>
    public double PriorSigma { get; init; } = 0.0316227766016838;

    /// <summary>Epochs of posterior optimisation over the bound set.</summary>
    public int Epochs { get; init; } = 5;

    /// <summary>Mini-batch size and Adam learning rate of the posterior optimisation.</summary>
    public int BatchSize { get; init; } = 250;

    /// <inheritdoc cref="BatchSize"/>
    public double LearningRate { get; init; } = 3e-4;

    /// <summary>Weight draws of the final Monte-Carlo estimate, each on a random subset of <see cref="McSubset"/> bound-set samples.</summary>
    public int McDraws { get; init; } = 10_000;

    /// <inheritdoc cref="McDraws"/>
    public int McSubset { get; init; } = 100;

    /// <summary>p_min of the bounded cross-entropy <c>−ln max(p_y, p_min) / ln(1/p_min)</c>, the surrogate loss in [0, 1].</summary>
    public double MinProbability { get; init; } = 1e-4;

    /// <summary>Seed of the split, the weight draws and the subsets.</summary>
    public int Seed { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> with one clear line for the first bad setting.</summary>
    public void Validate()
    {
        if (!(Delta > 0 && Delta < 1) || !(DeltaMonteCarlo > 0 && DeltaMonteCarlo < 1) || !(Delta + DeltaMonteCarlo < 1))
            throw new ArgumentException($"--delta and the Monte-Carlo δ′ must be in (0, 1) with a sum below 1, got {Delta} and {DeltaMonteCarlo}");
        if (!(PriorSplit >= 0 && PriorSplit < 1)) throw new ArgumentException($"--prior-split must be in [0, 1), got {PriorSplit}");
        if (!PacBayesCertifier.PriorSigmaGrid.Any(g => Math.Abs(g / PriorSigma - 1) < 0.01))
            throw new ArgumentException($"--prior-sigma must be one of the grid {string.Join(", ", PacBayesCertifier.PriorSigmaGrid.Select(g => g.ToString("G3", System.Globalization.CultureInfo.InvariantCulture)))}, got {PriorSigma}");
        if (!(LearningRate > 0) || !(MinProbability > 0 && MinProbability < 1))
            throw new ArgumentException("the learning rate and p_min must be positive, p_min below 1");
        if (FixedMean && Mode != CertifyMode.Checkpoint) throw new ArgumentException("--fixed-mean keeps Q's mean at the checkpoint's weights: it needs --mode checkpoint");
        if (Epochs < 0 || BatchSize < 1 || McDraws < 1 || McSubset < 1) throw new ArgumentException("epochs must be ≥ 0, and the batch size, --mc-draws and the Monte-Carlo subset positive");
    }
}
