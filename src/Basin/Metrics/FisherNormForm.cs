using System.Text.Json.Serialization;

namespace Basin.Metrics;

/// <summary>How the Fisher's Frobenius norm and spectral radius are estimated (<see cref="MeasureSettings.FisherNorms"/>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<FisherNormForm>))]
public enum FisherNormForm
{
    /// <summary>Unbiased for the measured set: the U-statistic Σ_{i≠j}(g_iᵀg_j)²/(N′(N′−1)) over subsets; Lanczos on the empirical-Fisher operator.</summary>
    [JsonStringEnumMemberName("unbiased")]
    Unbiased,

    /// <summary>Seed 001's subset forms ‖J_tJ_tᵀ‖_F²/N′² and ‖J_t‖₂²/N′, averaged over subsets (biased upward by ≈ mean‖g‖⁴/N′).</summary>
    [JsonStringEnumMemberName("subsets")]
    Subsets,
}
