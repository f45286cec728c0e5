namespace Basin.Bounds;

/// <summary>Which network a PAC-Bayes certificate is about.</summary>
public enum CertifyMode
{
    /// <summary>
    /// The network the user trained: Q = N(μ, diag σ²) starts at the checkpoint's own weights, and μ moves during the
    /// optimisation only where the bound pays for it; the certificate is of the checkpoint's neighbourhood.
    /// </summary>
    Checkpoint,

    /// <summary>
    /// Pérez-Ortiz, Rivasplata, Shawe-Taylor &amp; Szepesvári 2021's pipeline: Q's mean starts at the prior's (trained on a
    /// split, or the initial weights) and is trained on all the data by the PAC-Bayes objective, a new network with its own
    /// test error, not the checkpoint.
    /// </summary>
    Retrain,
}
