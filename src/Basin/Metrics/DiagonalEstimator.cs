using Basin.IO;
using System.Text.Json.Serialization;

namespace Basin.Metrics;

/// <summary>How the Hessian diagonal of pacGen, <c>hessian.diagonal</c> and seed 003's bounds is estimated.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DiagonalEstimator>))]
public enum DiagonalEstimator
{
    /// <summary>Hutchinson, E[v ⊙ Hv] over the shared Rademacher probes.</summary>
    [JsonStringEnumMemberName("hutchinson")]
    Hutchinson,

    /// <summary>Exact, one product per parameter (small models).</summary>
    [JsonStringEnumMemberName("exact")]
    Exact,

    /// <summary>Central differences of gradients (seed 004 eq. 61).</summary>
    [JsonStringEnumMemberName("finite-difference")]
    FiniteDifference,

    /// <summary>Seed 003's proxy: the mean squared mini-batch gradient.</summary>
    [JsonStringEnumMemberName("sqgrad")]
    SquaredGradient,

    /// <summary>The exact diagonal of the Gauss-Newton matrix (non-negative; one per-sample-gradient pass per output factor).</summary>
    [JsonStringEnumMemberName("ggn")]
    Ggn,
}

/// <summary>The command-line and report names of <see cref="DiagonalEstimator"/>.</summary>
public static class DiagonalEstimators
{
    /// <summary>The estimator's name, as in JSON and on the command line.</summary>
    public static string Name(this DiagonalEstimator estimator) => EnumNames.Name(estimator);

    /// <summary>The estimator named <paramref name="name"/>.</summary>
    /// <exception cref="FormatException">Unknown name; the message lists the known ones.</exception>
    public static DiagonalEstimator Parse(string name) => EnumNames.Parse<DiagonalEstimator>(name, "diagonal estimator");
}
