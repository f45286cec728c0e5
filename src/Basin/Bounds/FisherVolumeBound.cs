namespace Basin.Bounds;

/// <summary>
/// The PAC-Bayes bound of seed 001 Theorem 1 (uniform prior over the level set M(w₀) of volume V,
/// quadratic loss inside it): with <c>A = W · V^{2/W} · π^{1/W} · |I(w₀)|^{1/W} / (4πe)</c> and <c>h = L₀ + A</c>,
/// <c>E_Q L(D) ≤ h + 2 √((2h + ln(2N/δ)) / (N − 1))</c>. Computed in log space (W, the number of parameters, is large).
/// </summary>
public static class FisherVolumeBound
{
    /// <summary>The bound for training loss <paramref name="loss"/>, ln|I| = <paramref name="logDetFisher"/>, W parameters, N samples, volume V and confidence δ.</summary>
    public static BoundValue Compute(double loss, double logDetFisher, double parameters, double samples, double volume, double delta)
    {
        if (!(volume > 0) || !(delta > 0 && delta < 1) || !(samples > 1) || !(parameters > 0))
            throw new ArgumentException($"the Fisher volume bound needs V > 0, 0 < δ < 1, N > 1 and W > 0 (got V = {volume}, δ = {delta}, N = {samples}, W = {parameters})");
        double w = parameters, n = samples;
        double logA = Math.Log(w) + (2 * Math.Log(volume) + Math.Log(Math.PI) + logDetFisher) / w - Math.Log(4 * Math.PI * Math.E);
        double a = Math.Exp(logA);
        double h = loss + a;
        double bound = h + 2 * Math.Sqrt((2 * h + Math.Log(2 * n / delta)) / (n - 1));
        return new BoundValue(bound, [("empirical", loss), ("complexity_A", a), ("log_A", logA), ("gamma", logDetFisher)]);
    }
}
