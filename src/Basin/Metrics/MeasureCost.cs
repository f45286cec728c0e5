namespace Basin.Metrics;

/// <summary>
/// What measuring a set of metrics will spend, counted from the settings before any work: curvature products
/// (each shared input counted once: the Hessian and GGN probes, the Lanczos and SLQ runs, pacGen's perturbed
/// diagonal) and per-sample gradients (the Fisher subsets). A preview, not a bound: passes over the data for
/// losses, finite differences and Keskar's ascent are left out.
/// </summary>
public static class MeasureCost
{
    /// <summary>The curvature products and per-sample gradients <paramref name="metrics"/> need under <paramref name="s"/>.</summary>
    public static (long Products, long PerSampleGradients) Of(IReadOnlyList<IMetric> metrics, MeasureSettings s)
    {
        var ids = metrics.Select(m => m.Id).ToHashSet();
        bool Any(params string[] names) => names.Any(ids.Contains);
        bool diagonal = Any("hessian.diagonal", "pacgen", "bound.wang_uniform", "bound.wang_gaussian");
        long products = 0;
        if (Any("hessian.trace", "hessian.trace_normalized", "hessian.frobenius_sq") || (diagonal && s.Diagonal == DiagonalEstimator.Hutchinson)) products += s.TraceProbes;
        if (Any("ggn.trace", "ggn.frobenius_sq", "pacbayes.laplace.full")) products += s.TraceProbes;
        if (Any("pacgen", "bound.wang_uniform", "bound.wang_gaussian") && s.Diagonal == DiagonalEstimator.Hutchinson) products += s.TraceProbes;
        if (Any("pacbayes.laplace.approx")) products += s.LaplaceProbes;
        if (Any("hessian.top_eigenvalue")) products += s.LanczosSteps;
        if (Any("ggn.top_eigenvalue")) products += s.LanczosSteps;
        if (Any("fisher.spectral_radius") && s.FisherNorms == FisherNormForm.Unbiased) products += s.LanczosSteps;
        if (Any("hessian.spectral_density")) products += (long)s.SlqSteps * s.SlqStarts;
        if (Any("hessian.logdet", "pacbayes.laplace.full")) products += (long)s.SlqSteps * s.SlqStarts;
        long perSample = metrics.Any(FisherSubsets.NeededBy) ? (long)s.FisherSubsets * s.FisherSubsetSize : 0;
        return (products, perSample);
    }
}
