using Basin.Models;

namespace Basin.Metrics;

/// <summary>
/// What measuring <see cref="Metrics"/> on <see cref="Samples"/> samples will read and spend, counted from the settings before
/// any work: the shared inputs (<see cref="MetricInput"/>, each counted once however many metrics read it), the curvature
/// products and per-sample gradients they cost, whether the samples suffice, and the smaller plan that fits a time budget.
/// A preview, not a bound: passes over the data for losses, finite differences and Keskar's ascent are left out.
/// <c>measure</c>, <c>study</c> and the benchmark plan with it.
/// </summary>
/// <param name="Metrics">The metrics to measure.</param>
/// <param name="Settings">Their settings.</param>
/// <param name="Samples">The samples they are measured on.</param>
/// <param name="Factors">The model's output-Hessian factors (its outputs; 1 for the exponential loss): per-sample GGN diagonals cost one gradient each.</param>
public sealed record MeasurementPlan(IReadOnlyList<IMetric> Metrics, MeasureSettings Settings, int Samples, int Factors)
{
    /// <summary>Samples a budget never goes below: 256, or N′ when the Fisher subsets are read (fewer if fewer are measured).</summary>
    public const int MinimumSamples = 256;

    /// <summary>The plan for <paramref name="model"/>.</summary>
    public static MeasurementPlan For(IReadOnlyList<IMetric> metrics, MeasureSettings settings, int samples, Model model) =>
        new(metrics, settings, samples, model.Loss == LossKind.Exponential ? 1 : (int)model.Outputs);

    /// <summary>The shared inputs the metrics read, each once, in the order first read.</summary>
    public IReadOnlyList<MetricInput> Inputs => Metrics.SelectMany(m => m.Inputs(Settings)).Distinct().ToList();

    /// <summary>Curvature products the inputs cost.</summary>
    public long Products => Inputs.Sum(i => i.Cost(Settings, Samples, Factors).Products);

    /// <summary>Per-sample gradients the inputs cost.</summary>
    public long PerSampleGradients => Inputs.Sum(i => i.Cost(Settings, Samples, Factors).PerSampleGradients);

    /// <summary>Whether a metric reads the Fisher subsets (and so needs at least N′ samples and their memory).</summary>
    public bool ReadsFisherSubsets => Inputs.Contains(FisherSubsets.Input);

    /// <summary>Why the plan cannot run on its samples, in one line (the Fisher subsets need N′ of them); null when it can.</summary>
    public string? Refusal => ReadsFisherSubsets && Samples < Settings.FisherSubsetSize
        ? $"the Fisher metrics draw subsets of N′ = {Settings.FisherSubsetSize} samples but only {Samples} are measured: raise --samples or leave those metrics out"
        : null;

    /// <summary>
    /// The plan that fits <paramref name="seconds"/> of curvature products at <paramref name="secondsPerProduct"/> each at this plan's
    /// samples: fewer products first (down to the floors of <see cref="MeasureSettings.Scaled"/>), then fewer samples (a product's
    /// cost is linear in them, never below <see cref="MinimumSamples"/> or N′); this plan when it fits already.
    /// </summary>
    public MeasurementPlan Within(double seconds, double secondsPerProduct)
    {
        if (Products * secondsPerProduct <= seconds) return this;
        var scaled = this with { Settings = Settings.Scaled(seconds / (Products * secondsPerProduct)) };
        int fewer = (int)Math.Min(Samples, Samples * seconds / (scaled.Products * secondsPerProduct));
        int floor = Math.Min(Samples, Math.Max(MinimumSamples, scaled.ReadsFisherSubsets ? scaled.Settings.FisherSubsetSize : 0));
        return fewer < Samples ? scaled with { Samples = Math.Max(fewer, floor) } : scaled;
    }
}
