using Basin.Models;

namespace Basin.Metrics;

/// <summary>
/// What measuring <see cref="Metrics"/> on <see cref="Samples"/> samples will read and spend, counted from the settings before
/// any work: the shared inputs (<see cref="MetricInput"/>, each counted once however many metrics read it), the curvature
/// products and per-sample gradients they cost, whether the samples suffice, and the smaller plan that fits a time budget.
/// Every pass a metric declares is counted: curvature products, gradients and forward passes over the samples (Keskar's ascent,
/// finite differences, weight draws) and per-sample gradients; a preview, not a bound (a bracket search's evaluations are its usual count).
/// <c>measure</c>, <c>study</c> and the benchmark plan with it.
/// </summary>
/// <param name="Metrics">The metrics to measure.</param>
/// <param name="Settings">Their settings.</param>
/// <param name="Samples">The samples they are measured on.</param>
/// <param name="Factors">The model's output-Hessian factors (its outputs; 1 for the exponential loss): per-sample GGN diagonals cost one gradient each.</param>
public sealed record MeasurementPlan(IReadOnlyList<IMetric> Metrics, MeasureSettings Settings, int Samples, int Factors)
{
    /// <summary>
    /// Seconds per pass, measured on one machine before the work: a curvature product, a gradient and a forward pass over the
    /// measured samples, one per-sample gradient of the Fisher subsets (reduced to their Gram matrix) and one of the others (the GGN
    /// diagonals' squared passes, one per sample and output factor: a ResNet-18's cost 6.6 ms a sample at 256, its Gram 18 ms at 100).
    /// </summary>
    /// <param name="Product">One curvature product.</param>
    /// <param name="Gradient">One gradient of the mean loss over the measured samples.</param>
    /// <param name="Forward">One forward pass over the measured samples.</param>
    /// <param name="PerSampleGradient">One per-sample gradient of the Fisher subsets' batches.</param>
    /// <param name="SquaredGradient">One per-sample gradient of a squared sum (a GGN diagonal's pass per sample and factor).</param>
    public sealed record PassTimes(double Product, double Gradient, double Forward, double PerSampleGradient, double SquaredGradient)
    {
        /// <summary>One GGN product, where timed (else <see cref="Product"/>, the Hessian's).</summary>
        public double? GgnProduct { get; init; }

        /// <summary>One empirical-Fisher product, where timed (else <see cref="Product"/>).</summary>
        public double? FisherProduct { get; init; }

        /// <summary>One product of the operator <paramref name="kind"/>.</summary>
        public double ProductOf(ProductKind kind) => kind switch
        {
            ProductKind.Ggn => GgnProduct ?? Product,
            ProductKind.Fisher => FisherProduct ?? Product,
            _ => Product,
        };

        /// <summary>The full passes' times at <paramref name="factor"/> times the samples (a per-sample gradient does not change).</summary>
        public PassTimes Scaled(double factor) => this with
        {
            Product = Product * factor, Gradient = Gradient * factor, Forward = Forward * factor,
            GgnProduct = GgnProduct * factor, FisherProduct = FisherProduct * factor,
        };
    }

    /// <summary>Samples a budget never goes below: 256, or N′ when the Fisher subsets are read (fewer if fewer are measured).</summary>
    public const int MinimumSamples = 256;

    /// <summary>The plan for <paramref name="model"/>.</summary>
    public static MeasurementPlan For(IReadOnlyList<IMetric> metrics, MeasureSettings settings, int samples, Model model) =>
        new(metrics, settings, samples, model.Loss == LossKind.Exponential ? 1 : (int)model.Outputs);

    /// <summary>The shared inputs the metrics read, each once, in the order first read.</summary>
    public IReadOnlyList<MetricInput> Inputs
    {
        get
        {
            // Inputs are the same declared instances wherever they are read: identity, as MetricContext keeps them.
            var read = Metrics.SelectMany(m => m.Inputs(Settings)).Distinct(ReferenceEqualityComparer.Instance).Cast<MetricInput>().ToList();
            return read.Where(i => !i.IsServed(Settings, other => read.Any(r => ReferenceEquals(r, other)))).ToList();
        }
    }

    /// <summary>What the inputs cost together, each counted once.</summary>
    public MetricCost Cost => Inputs.Aggregate(new MetricCost(), (sum, i) => sum + i.Cost(Settings, Samples, Factors));

    /// <summary>Curvature products the inputs cost.</summary>
    public long Products => Cost.CurvatureProducts;

    /// <summary>Curvature products of the operator <paramref name="kind"/> the inputs cost.</summary>
    public long ProductsOf(ProductKind kind) => Inputs.Where(i => i.Operator == kind).Sum(i => i.Cost(Settings, Samples, Factors).CurvatureProducts);

    /// <summary>Per-sample gradients the inputs cost.</summary>
    public long PerSampleGradients => Cost.PerSampleGradients;

    /// <summary>Seconds the plan takes at <paramref name="pace"/>: every counted pass, each at its measured time.</summary>
    public double Seconds(PassTimes pace)
    {
        var c = Cost;
        long fisher = FisherPerSampleGradients;
        double products = Enum.GetValues<ProductKind>().Sum(kind => ProductsOf(kind) * pace.ProductOf(kind));
        return products + c.Gradients * pace.Gradient + c.ForwardPasses * pace.Forward + fisher * pace.PerSampleGradient
            + (c.PerSampleGradients - fisher) * pace.SquaredGradient;
    }

    /// <summary>The per-sample gradients of the Fisher subsets (the rest are squared passes: <see cref="PassTimes.SquaredGradient"/>).</summary>
    public long FisherPerSampleGradients => ReadsFisherSubsets ? FisherSubsets.Input.Cost(Settings, Samples, Factors).PerSampleGradients : 0;

    /// <summary>The input that holds the most memory while it is computed, and how much (inputs are computed one at a time); null with none.</summary>
    public (MetricInput Input, long Bytes)? LargestMemory(ModelShape shape) => Inputs.Select(i => (Input: i, Bytes: i.Memory(Settings, shape))).Where(m => m.Bytes > 0)
        .OrderByDescending(m => m.Bytes).Select(m => ((MetricInput, long)?)m).FirstOrDefault();

    /// <summary>Whether a metric reads the Fisher subsets (and so needs at least N′ samples and their memory).</summary>
    public bool ReadsFisherSubsets => Inputs.Any(i => ReferenceEquals(i, FisherSubsets.Input));

    /// <summary>Why the plan cannot run on its samples, in one line (the Fisher subsets need N′ of them); null when it can.</summary>
    public string? Refusal => ReadsFisherSubsets && Samples < Settings.FisherSubsetSize
        ? $"the Fisher metrics draw subsets of N′ = {Settings.FisherSubsetSize} samples but only {Samples} are measured: raise --samples or leave those metrics out"
        : null;

    /// <summary>
    /// The plan that fits <paramref name="seconds"/> at <paramref name="pace"/> (measured at this plan's samples): fewer products,
    /// subsets, ascent steps and draws first (down to the floors of <see cref="MeasureSettings.Scaled"/>), then fewer samples (every
    /// full pass costs in proportion to them; the Fisher subsets' per-sample gradients do not), never below <see cref="MinimumSamples"/>
    /// or N′; this plan when it fits already. The result may still need more than <paramref name="seconds"/> — its floors: compare
    /// its <see cref="Seconds"/> with the budget and say so.
    /// </summary>
    public MeasurementPlan Within(double seconds, PassTimes pace)
    {
        double full = Seconds(pace);
        if (full <= seconds) return this;
        var scaled = this with { Settings = Settings.Scaled(seconds / full) };
        // A full pass costs in proportion to the samples; a fixed number of per-sample gradients (the Fisher subsets) does not.
        double fixedSeconds = scaled.FisherPerSampleGradients * pace.PerSampleGradient;
        double proportional = scaled.Seconds(pace) - fixedSeconds;
        int fewer = proportional > 0 ? (int)Math.Min(Samples, Samples * Math.Max(0, seconds - fixedSeconds) / proportional) : Samples;
        return fewer < Samples ? scaled with { Samples = Math.Max(fewer, scaled.FloorSamples) } : scaled;
    }

    /// <summary>The fewest samples <see cref="Within"/> keeps: <see cref="MinimumSamples"/>, or N′ when the Fisher subsets are read, at most <see cref="Samples"/>.</summary>
    public int FloorSamples => Math.Min(Samples, Math.Max(MinimumSamples, ReadsFisherSubsets ? Settings.FisherSubsetSize : 0));

    /// <summary>The seconds of this plan at <paramref name="pace"/>, measured at <paramref name="measuredAt"/> samples: full passes scale with the samples.</summary>
    public double SecondsAt(PassTimes pace, int measuredAt) => Seconds(pace.Scaled((double)Samples / Math.Max(1, measuredAt)));
}
