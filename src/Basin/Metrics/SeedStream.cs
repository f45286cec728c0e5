namespace Basin.Metrics;

/// <summary>
/// The independent random streams of one measurement, each an offset from <see cref="MeasureSettings.Seed"/>
/// so that adding a metric never changes another's draws. Read them with
/// <see cref="MeasureSettings.SeedFor(SeedStream)"/>; the Fisher subsets use
/// <see cref="MeasureSettings.FisherSubsetSeed(int)"/>.
/// </summary>
public enum SeedStream
{
    /// <summary>Rademacher probes of the Hessian (trace, Tr H², Hutchinson diagonal).</summary>
    HessianProbes = 11,

    /// <summary>Rademacher probes of the GGN.</summary>
    GgnProbes = 12,

    /// <summary>Rademacher probes of the empirical Fisher (<c>basin spectrum --matrix fisher</c>).</summary>
    FisherProbes = 14,

    /// <summary>Directions of the finite-difference diagonal.</summary>
    FiniteDifference = 13,

    /// <summary>Lanczos start of the top eigenvalue.</summary>
    TopEigenvalue = 21,

    /// <summary>SLQ starts on the Hessian (spectral density).</summary>
    HessianSpectrum = 31,

    /// <summary>SLQ starts on the GGN (log-determinant).</summary>
    GgnSpectrum = 41,

    /// <summary>Gaussian draws of the expected sharpness.</summary>
    ExpectedSharpness = 51,

    /// <summary>The mini-batch of the Laplace metric "a".</summary>
    LaplaceBatch = 61,

    /// <summary>The probes of the Laplace metric "a".</summary>
    LaplaceProbes = 62,

    /// <summary>pacGen's perturbation u for ρ.</summary>
    PacGenPerturbation = 71,

    /// <summary>Lanczos start of the Fisher's spectral radius.</summary>
    FisherSpectralRadius = 81,

    /// <summary>SLQ starts on the empirical Fisher (<c>basin spectrum --matrix fisher</c>).</summary>
    FisherSpectrum = 83,

    /// <summary>The random starts of Keskar's ascent after the first (which is z = 0).</summary>
    KeskarStarts = 91,

    /// <summary>The Gaussian directions of Jiang's PAC-Bayes flatness (isotropic σ).</summary>
    Flatness = 101,

    /// <summary>The Gaussian directions of Jiang's magnitude-aware PAC-Bayes flatness.</summary>
    MagnitudeFlatness = 102,

    /// <summary>The noise added to the test error by the oracle rows.</summary>
    Oracle = 111,
}
