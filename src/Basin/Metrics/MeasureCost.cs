namespace Basin.Metrics;

/// <summary>
/// What measuring a set of metrics will spend, counted from the settings before any work: curvature products
/// (each shared input counted once: the Hessian and GGN probes, the Lanczos and SLQ runs, pacGen's perturbed
/// diagonal) and per-sample gradients (the Fisher subsets; the exact GGN diagonal of pacGen, at w and at w + u,
/// one per sample and output factor). A preview, not a bound: passes over the data for losses, finite differences
/// and Keskar's ascent are left out.
/// </summary>
public static class MeasureCost
{
    /// <summary>
    /// The curvature products and per-sample gradients <paramref name="metrics"/> need under <paramref name="s"/>, measured on
    /// <paramref name="samples"/> samples of a model with <paramref name="factors"/> output-Hessian factors (its outputs; 1 for the exponential loss).
    /// </summary>
    public static (long Products, long PerSampleGradients) Of(IReadOnlyList<IMetric> metrics, MeasureSettings s, long samples = 0, int factors = 0)
    {
        var ids = metrics.Select(m => m.Id).ToHashSet();
        bool Any(params string[] names) => names.Any(ids.Contains);
        bool curvature = Any("pacgen", "bound.wang_uniform", "bound.wang_gaussian");
        bool sharedProbes = (Any("hessian.diagonal") && s.Diagonal == DiagonalEstimator.Hutchinson) || (curvature && s.PacGenDiagonal == DiagonalEstimator.Hutchinson && s.Diagonal == DiagonalEstimator.Hutchinson);
        long products = 0;
        if (Any("hessian.trace", "hessian.trace_normalized", "hessian.frobenius_sq") || sharedProbes) products += s.TraceProbes;
        if (Any("ggn.trace", "ggn.frobenius_sq", "pacbayes.laplace.full")) products += s.TraceProbes;
        // pacGen's diagonal at w (unless it is the shared one) and at w + u for each of ρ's perturbations.
        int perturbations = s.PacGenPerturbationCount;
        if (curvature && s.PacGenDiagonal == DiagonalEstimator.Hutchinson) products += (s.Diagonal == DiagonalEstimator.Hutchinson ? 0 : s.TraceProbes) + (long)perturbations * s.TraceProbes;
        if (Any("pacbayes.laplace.approx")) products += s.LaplaceProbes;
        if (Any("hessian.top_eigenvalue")) products += s.LanczosSteps;
        if (Any("ggn.top_eigenvalue")) products += s.LanczosSteps;
        if (Any("fisher.spectral_radius") && s.FisherNorms == FisherNormForm.Unbiased) products += s.LanczosSteps;
        if (Any("hessian.spectral_density")) products += (long)s.SlqSteps * s.SlqStarts;
        if (Any("hessian.logdet", "pacbayes.laplace.full")) products += (long)s.SlqSteps * s.SlqStarts;
        long perSample = metrics.Any(FisherSubsets.NeededBy) ? (long)s.FisherSubsets * s.FisherSubsetSize : 0;
        if (curvature && s.PacGenDiagonal == DiagonalEstimator.Ggn) perSample += (1 + perturbations) * samples * factors;
        return (products, perSample);
    }
}
