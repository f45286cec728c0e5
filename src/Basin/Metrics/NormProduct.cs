using static TorchSharp.torch;

namespace Basin.Metrics;

/// <summary>
/// The norm-product baselines of Jiang et al. 2020 §C in log-sum form: <c>norm.frobenius_product</c> =
/// Σ_l ln ‖W^(l)‖_F², <c>norm.spectral_product</c> = Σ_l ln ‖W^(l)‖₂² (the log of Π_l ‖W^(l)‖²; ranks are unchanged and
/// deep products stay in range), over every weight tensor of two or more dimensions (a conv kernel reshaped to rows ×
/// cols·k·k; biases and norm scales left out). The <c>…_over_margin</c> forms subtract ln γ₁₀² (the margin-normalised
/// measures, γ₁₀ the 10th-percentile output margin). Spectral norms by an SVD in float64. Exact: standard error 0.
/// </summary>
public sealed class NormProduct(bool spectral, bool overMargin) : Metric(
    (spectral, overMargin) switch { (false, false) => FrobeniusId, (true, false) => SpectralId, (false, true) => FrobeniusOverMarginId, _ => SpectralOverMarginId },
    $"log product of the layers' squared {(spectral ? "spectral" : "Frobenius")} norms{(overMargin ? " over the squared 10th-percentile margin" : "")}",
    "Jiang et al. 2020 §C (norm-based measures)", CostClass.Cheap)
{
    /// <summary>The id of the Frobenius form, <c>norm.frobenius_product</c>.</summary>
    public const string FrobeniusId = "norm.frobenius_product";

    /// <summary>The id of the spectral form, <c>norm.spectral_product</c>.</summary>
    public const string SpectralId = "norm.spectral_product";

    /// <summary>The id of the margin-normalised Frobenius form.</summary>
    public const string FrobeniusOverMarginId = "norm.frobenius_product_over_margin";

    /// <summary>The id of the margin-normalised spectral form.</summary>
    public const string SpectralOverMarginId = "norm.spectral_product_over_margin";

    /// <inheritdoc />
    public override MetricRole Role => MetricRole.Baseline;

    /// <inheritdoc />
    public override string? NotApplicable(MetricContext context) =>
        !context.Parameters.Any(p => p.Value.dim() >= 2) ? "the model has no weight matrix"
        : overMargin && context.Model.Outputs < 2 ? "one output: no margin between classes"
        : null;

    /// <inheritdoc />
    public override MetricResult Compute(MetricContext context)
    {
        double sum = LogSquaredNorms(context.Parameters.Select(p => (TorchSharp.torch.Tensor)p.Value), spectral, out int layers);
        var terms = new List<(string, double)> { ("log_product", sum), ("layers", layers) };
        if (!overMargin) return Result(context, sum, 0, [("form", "log-sum")], terms);
        double gamma = OutputMargins.Percentile10(context);
        terms.Add(("gamma10", gamma));
        if (!(gamma > 0))
            return Result(context, double.NaN, double.NaN, [("not_applicable", $"γ₁₀ = {gamma:G4} ≤ 0: more than a tenth of the samples are misclassified")], terms);
        return Result(context, sum - 2 * Math.Log(gamma), 0, [("form", "log-sum")], terms);
    }

    /// <summary>Σ_l ln ‖W^(l)‖² (Frobenius or spectral) over the tensors of two or more dimensions, each reshaped to rows × rest.</summary>
    public static double LogSquaredNorms(IEnumerable<Tensor> parameters, bool spectral, out int layers)
    {
        using var scope = NewDisposeScope();
        double sum = 0;
        layers = 0;
        foreach (var p in parameters.Where(p => p.dim() >= 2))
        {
            var w = p.detach().to(ScalarType.Float64).reshape(p.shape[0], -1);
            double squared = spectral ? Math.Pow(linalg.svdvals(w).max().item<double>(), 2) : w.square().sum().item<double>();
            sum += Math.Log(squared);
            layers++;
        }
        return sum;
    }
}
