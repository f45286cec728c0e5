using System.Globalization;

namespace Basin.Metrics;

/// <summary>What a metric cost: passes over the measured samples and curvature products.</summary>
/// <param name="ForwardPasses">Forward passes over the measured samples (loss evaluations).</param>
/// <param name="Gradients">Gradients over the measured samples (or over the mini-batches the metric names).</param>
/// <param name="CurvatureProducts">Hessian-, GGN- or Fisher-vector products.</param>
/// <param name="PerSampleGradients">Per-sample gradients computed.</param>
public sealed record MetricCost(long ForwardPasses = 0, long Gradients = 0, long CurvatureProducts = 0, long PerSampleGradients = 0)
{
    /// <summary>The sum of two costs.</summary>
    public static MetricCost operator +(MetricCost a, MetricCost b) =>
        new(a.ForwardPasses + b.ForwardPasses, a.Gradients + b.Gradients, a.CurvatureProducts + b.CurvatureProducts, a.PerSampleGradients + b.PerSampleGradients);

    /// <inheritdoc />
    public override string ToString()
    {
        var parts = new List<string>();
        if (ForwardPasses > 0) parts.Add($"{ForwardPasses} fwd");
        if (Gradients > 0) parts.Add($"{Gradients} grad");
        if (CurvatureProducts > 0) parts.Add($"{CurvatureProducts} mvp");
        if (PerSampleGradients > 0) parts.Add($"{PerSampleGradients} psg");
        return parts.Count > 0 ? string.Join(", ", parts) : "shared";
    }
}

/// <summary>
/// The value of one metric with its standard error (NaN when exact or not estimable), cost, time, the
/// settings it was computed with, and its named terms (e.g. a bound's empirical and complexity terms).
/// </summary>
public sealed record MetricResult(
    string Id, double Value, double StandardError, MetricCost Cost, double Seconds,
    IReadOnlyDictionary<string, string> Settings, IReadOnlyDictionary<string, double> Terms)
{
    /// <summary>The value with its standard error, for tables ("not applicable: why" for a metric that does not apply).</summary>
    public string Display => Settings.TryGetValue("not_applicable", out var why) ? "not applicable: " + why
        : double.IsFinite(StandardError) && StandardError > 0
        ? $"{Value.ToString("G5", CultureInfo.InvariantCulture)} ± {StandardError.ToString("G2", CultureInfo.InvariantCulture)}"
        : Value.ToString("G5", CultureInfo.InvariantCulture);
}
