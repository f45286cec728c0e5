using Basin.Data;
using Basin.Estimators;
using Basin.Models;
using Basin.Operators;
using static TorchSharp.torch;

namespace Basin.Metrics;

/// <summary>
/// Everything one <c>measure</c> call shares between metrics: the model, the measured samples, the
/// settings, the cost ledger, the curvature operators and the quantities every kind of metric reads (loss, weights,
/// margins, the curvature diagonals of <see cref="DiagonalInputs"/>), and the shared inputs each declared by its own
/// code (<see cref="SharedInput{T}"/>: the Hessian and GGN probes, the Fisher subsets, the SLQ runs, pacGen's ρ), computed
/// on first use by <see cref="Get{T}"/> and reused. Each input's cost is charged to the metric that first needs it.
/// </summary>
public sealed class MetricContext : IDisposable
{
    private readonly List<IDisposable> owned = [];
    private readonly Dictionary<MetricInput, object?> computed = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<MetricInput> expected = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<MetricInput> finished = new(ReferenceEqualityComparer.Instance);
    private readonly Lazy<HessianOperator> hessian;
    private readonly Lazy<GgnOperator> ggn;
    private readonly Lazy<HessianOperator> normalizedHessian;
    private readonly Lazy<double> loss;
    private readonly Lazy<double> weightNormSquared;
    private readonly Lazy<double> zeroOneError;
    private readonly Lazy<double[]> margins;
    private readonly Lazy<DiagonalEstimate> hessianDiagonal;
    private readonly Lazy<DiagonalEstimate> curvatureDiagonal;
    private readonly Lazy<NormalizedDiagonals> normalizedDiagonal;

    /// <summary>
    /// A context for <paramref name="model"/> measured on <paramref name="samples"/>; <paramref name="training"/>, when given, is what is known
    /// of the run that trained it (<c>TrainingRun.Record</c>: initial weights, criterion, log). Measuring reads it and never trains.
    /// </summary>
    /// <exception cref="ArgumentException">The settings are out of range or the samples do not fit the model.</exception>
    public MetricContext(Model model, Dataset samples, MeasureSettings settings, TrainingRecord? training = null)
    {
        Training = training;
        settings.Validate();
        Evaluation.CheckFits(model, samples);
        Model = model;
        Samples = samples;
        Settings = settings;
        Data = CurvatureData.FromDataset(samples, Math.Min(settings.BatchSize, samples.Count));
        Parameters = ParameterSelection.Select(model.Module, null);
        hessian = Shared(() => new HessianOperator(Model, Data));
        ggn = Shared(() => new GgnOperator(Model, Data));
        normalizedHessian = Shared(() => new HessianOperator(Model with { Loss = LossKind.NormalizedCrossEntropy }, Data));
        using (var scope = NewDisposeScope()) Weights = Own(ParameterSelection.Flatten(Parameters.Select(p => p.Value.detach())).DetachFromDisposeScope());
        loss = Shared(() =>
        {
            Ledger.Charge(new MetricCost(ForwardPasses: 1));
            return Hessian.Loss();
        });
        weightNormSquared = Shared(() =>
        {
            using var scope = NewDisposeScope();
            return Parameters.Sum(p => p.Value.detach().to(ScalarType.Float64).square().sum().item<double>());
        });
        zeroOneError = Shared(() =>
        {
            Ledger.Charge(new MetricCost(ForwardPasses: 1));
            return Evaluation.Evaluate(Model, Samples, Settings.BatchSize).Error;
        });
        margins = Shared(() =>
        {
            Ledger.Charge(new MetricCost(ForwardPasses: 1));
            return OutputMargins.Of(Model, Samples, Settings.BatchSize);
        });
        hessianDiagonal = new(() => Settings.Diagonal == DiagonalEstimator.Hutchinson ? Get(ProbeSummary.HessianInput).Diagonal : Own(DiagonalInputs.Of(this, Hessian)));
        curvatureDiagonal = new(() => Settings.PacGenDiagonal == Settings.Diagonal ? HessianDiagonal : Own(DiagonalInputs.Of(this, Hessian, Settings.PacGenDiagonal)));
        normalizedDiagonal = Shared(() => DiagonalInputs.Normalized(this));
    }

    /// <summary>What is known of the training run that made the model, when anything is (the baselines on its log, distance from initialisation, the oracles).</summary>
    public TrainingRecord? Training { get; }

    /// <summary>The model.</summary>
    public Model Model { get; }

    /// <summary>The measured training samples.</summary>
    public Dataset Samples { get; }

    /// <summary>The settings.</summary>
    public MeasureSettings Settings { get; }

    /// <summary>The samples as operator data.</summary>
    public CurvatureData Data { get; }

    /// <summary>What the metric being computed has spent.</summary>
    public CostLedger Ledger { get; } = new();

    /// <summary>N, the number of measured samples.</summary>
    public int N => Samples.Count;

    /// <summary>The trainable parameters with their names.</summary>
    public (string Name, TorchSharp.Modules.Parameter Value)[] Parameters { get; }

    /// <summary>P, the number of trainable parameters.</summary>
    public long P => Parameters.Sum(p => p.Value.numel());

    /// <summary>The Hessian of the mean loss on the samples (eval-mode batch norm).</summary>
    public HessianOperator Hessian => hessian.Value;

    /// <summary>The GGN on the samples.</summary>
    public GgnOperator Ggn => ggn.Value;

    /// <summary>The Hessian of the normalized softmax cross-entropy (seed 004 eq. 20–22).</summary>
    public HessianOperator NormalizedHessian => normalizedHessian.Value;

    /// <summary>The mean training loss L(w) on the samples.</summary>
    public double Loss => loss.Value;

    /// <summary>‖w‖² over all trainable parameters.</summary>
    public double WeightNormSquared => weightNormSquared.Value;

    /// <summary>The 0-1 training error on the samples: the loss in [0, 1] the PAC-Bayes bounds need.</summary>
    public double ZeroOneError => zeroOneError.Value;

    /// <summary>The output margins γ_i = f(x_i)[y_i] − max_{j≠y_i} f(x_i)[j] of the measured samples, in their order (float64).</summary>
    public IReadOnlyList<double> Margins => margins.Value;

    /// <summary>The flat weights w [P] as they were when the context was made (a detached copy): what every metric measures at.</summary>
    public Tensor Weights { get; }

    /// <summary>The Hessian diagonal by the configured estimator (<see cref="MeasureSettings.Diagonal"/>).</summary>
    public DiagonalEstimate HessianDiagonal => hessianDiagonal.Value;

    /// <summary>The curvature diagonal h of pacGen and seed 003's bounds, by <see cref="MeasureSettings.PacGenDiagonal"/>.</summary>
    public DiagonalEstimate CurvatureDiagonal => curvatureDiagonal.Value;

    /// <summary>The finite-difference (or exact) diagonal of the normalized-loss Hessian, clipped at 0 (seed 004 Algorithm 1), with its probe groups.</summary>
    public NormalizedDiagonals NormalizedDiagonal => normalizedDiagonal.Value;

    /// <summary>
    /// The shared input <paramref name="input"/>, computed on first use by its own code (<see cref="SharedInput{T}.Compute"/>, charged
    /// to the metric being computed) and the same value for every later metric; kept until the context is disposed.
    /// </summary>
    public T Get<T>(SharedInput<T> input)
    {
        if (computed.TryGetValue(input, out var value)) return (T)value!;
        var result = input.Compute(this);
        if (result is IDisposable disposable) owned.Add(disposable);
        computed[input] = result;
        return result;
    }

    /// <summary>
    /// Records that <paramref name="metrics"/> will be measured in this context, so that an input another serves is read from that
    /// one (<see cref="MetricInput.ServedBy"/>); <see cref="MetricRegistry.Measure"/> records what it is given.
    /// </summary>
    public void Expect(IEnumerable<IMetric> metrics)
    {
        foreach (var input in metrics.SelectMany(m => m.Inputs(Settings))) expected.Add(input);
    }

    /// <summary>Whether a metric recorded by <see cref="Expect"/> reads <paramref name="input"/>.</summary>
    public bool Expects(MetricInput input) => expected.Contains(input);

    /// <summary>Whether <paramref name="input"/> is served by another the context expects to compute (<see cref="MetricInput.ServedBy"/>).</summary>
    public bool Served(MetricInput input) => input.IsServed(Settings, Expects);

    /// <summary>
    /// Records that <paramref name="metric"/> has been measured, and drops the cached graphs or factors of every operator whose
    /// products no input left to compute reads (an expected input of another metric, not computed and not served), handing the
    /// freed pages back to the kernel: a ResNet-18's Hessian graphs need not stay beside the GGN's factors and Lanczos basis. A later
    /// product the inputs did not declare rebuilds them: slower, never wrong.
    /// </summary>
    public void Finished(IMetric metric)
    {
        foreach (var input in metric.Inputs(Settings)) finished.Add(input);
        bool Reads(ProductKind kind) => expected.Any(i => i.Operator == kind && !i.OwnOperator && !finished.Contains(i) && !computed.ContainsKey(i) && !Served(i)
            && i.Cost(Settings, N, 1).CurvatureProducts > 0);
        bool released = false;
        if (!Reads(ProductKind.Hessian))
        {
            if (hessian.IsValueCreated) released |= hessian.Value.ReleaseCache();
            if (normalizedHessian.IsValueCreated) released |= normalizedHessian.Value.ReleaseCache();
        }
        if (ggn.IsValueCreated && !Reads(ProductKind.Ggn)) released |= ggn.Value.ReleaseCache();
        if (released) Native.Allocator.Trim();
    }

    /// <summary>Whether <paramref name="input"/> has been computed in this context (a study saves the density's nodes only then).</summary>
    public bool Has(MetricInput input) => computed.ContainsKey(input);

    /// <summary>
    /// Runs <paramref name="compute"/> with the trainable weights set to <paramref name="flat"/> [P], then
    /// restores the weights they had before the call (also when it throws).
    /// </summary>
    public T WithWeights<T>(Tensor flat, Func<T> compute)
    {
        using var swap = new WeightSwap(Parameters.Select(p => (Tensor)p.Value));
        swap.Set(flat);
        return compute();
    }

    /// <summary>Keeps <paramref name="value"/> until the context is disposed.</summary>
    internal T Own<T>(T value) where T : IDisposable
    {
        owned.Add(value);
        return value;
    }

    private Lazy<T> Shared<T>(Func<T> compute) => new(() =>
    {
        var value = compute();
        if (value is IDisposable disposable) owned.Add(disposable);
        return value;
    }, LazyThreadSafetyMode.None);

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var d in owned) d.Dispose();
        owned.Clear();
        Native.Allocator.Trim();
    }
}
