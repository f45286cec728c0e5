using System.Globalization;

namespace Basin.Estimators;

/// <summary>A scalar estimate with its standard error, cost, status and the settings that produced it.</summary>
/// <param name="Value">The estimate.</param>
/// <param name="StandardError">Its standard error (0 when exact).</param>
/// <param name="Products">Operator products spent.</param>
/// <param name="Samples">Probes or draws averaged.</param>
/// <param name="Status">Why it stopped.</param>
/// <param name="Settings">Estimator, seed and parameters, for reports.</param>
public sealed record Estimate(double Value, double StandardError, long Products, int Samples, EstimateStatus Status, IReadOnlyDictionary<string, string> Settings)
{
    /// <summary>The part of the error from truncating a quadrature or series (included in <see cref="StandardError"/>); NaN when there is none.</summary>
    public double Truncation { get; init; } = double.NaN;

    /// <inheritdoc />
    public override string ToString() => StandardError > 0
        ? $"{Value.ToString("G6", CultureInfo.InvariantCulture)} ± {StandardError.ToString("G2", CultureInfo.InvariantCulture)}"
        : Value.ToString("G6", CultureInfo.InvariantCulture);

    /// <summary>A settings map from pairs.</summary>
    public static IReadOnlyDictionary<string, string> With(params (string Key, object Value)[] settings) =>
        settings.ToDictionary(s => s.Key, s => Convert.ToString(s.Value, CultureInfo.InvariantCulture) ?? "");
}
