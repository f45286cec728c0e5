using Basin.Data;
using Basin.Estimators;
using Basin.Models;
using Basin.Operators;
using Basin.Training;
using static TorchSharp.torch;

namespace Basin.Metrics;

/// <summary>Traces, Tr A² and the diagonal of one operator from one shared set of Rademacher probes.</summary>
public sealed record ProbeSummary(Estimate Trace, Estimate FrobeniusSquared, DiagonalEstimate Diagonal);

/// <summary>Per-subset statistics of the per-sample gradient matrices J_t (seed 001), in float64.</summary>
/// <param name="LogDets">ln det(J_t J_tᵀ) per subset.</param>
/// <param name="Singular">How many Gram matrices needed the eigenvalue floor.</param>
/// <param name="SpectralNormsSquared">‖J_t‖₂² per subset.</param>
/// <param name="GramFrobeniusSquared">‖J_t J_tᵀ‖_F² per subset.</param>
/// <param name="SquaredNorms">‖g_i‖² of every sample of every subset.</param>
/// <param name="FisherRao">Σ_i (w_i g_i)² of every sample (for norm.fisher_rao).</param>
/// <param name="SubsetSize">N′.</param>
public sealed record FisherSubsets(double[] LogDets, int Singular, double[] SpectralNormsSquared, double[] GramFrobeniusSquared, double[] SquaredNorms, double[] FisherRao, int SubsetSize);

/// <summary>
/// Everything one <c>measure</c> call shares between metrics: the model, the measured samples, the
/// settings, the curvature operators, and inputs computed once and reused (the Hessian probes serve the
/// trace, Tr H² and the Hutchinson diagonal; the per-sample gradient subsets serve every Fisher metric;
/// the finite-difference diagonal serves both normalized sharpness metrics). Each input's cost is
/// charged to the metric that first needs it.
/// </summary>
public sealed class MetricContext : IDisposable
{
    private readonly Dictionary<string, object> shared = new(StringComparer.Ordinal);
    private readonly List<IDisposable> owned = [];

    /// <summary>A context for <paramref name="model"/> measured on <paramref name="samples"/>.</summary>
    public MetricContext(Model model, Dataset samples, MeasureSettings settings)
    {
        settings.Validate();
        TrainingRun.CheckFits(model, samples);
        Model = model;
        Samples = samples;
        Settings = settings;
        Data = CurvatureData.FromDataset(samples, Math.Min(settings.BatchSize, samples.Count));
    }

    /// <summary>The model.</summary>
    public Model Model { get; }

    /// <summary>The measured training samples.</summary>
    public Dataset Samples { get; }

    /// <summary>The settings.</summary>
    public MeasureSettings Settings { get; }

    /// <summary>The samples as operator data.</summary>
    public CurvatureData Data { get; }

    /// <summary>N, the number of measured samples.</summary>
    public int N => Samples.Count;

    /// <summary>The cost charged to the metric being computed.</summary>
    public MetricCost Charged { get; private set; } = new();

    /// <summary>Starts charging a new metric.</summary>
    public void BeginMetric() => Charged = new MetricCost();

    /// <summary>Adds to the current metric's cost.</summary>
    public void Charge(MetricCost cost) => Charged += cost;

    /// <summary>The Hessian of the mean loss on the samples (eval-mode batch norm).</summary>
    public HessianOperator Hessian => Get("hessian", () => Own(new HessianOperator(Model, Data)));

    /// <summary>The GGN on the samples.</summary>
    public GgnOperator Ggn => Get("ggn", () => Own(new GgnOperator(Model, Data)));

    /// <summary>The Hessian of the normalized softmax cross-entropy (seed 004 eq. 20–22).</summary>
    public HessianOperator NormalizedHessian => Get("hessian.normalized", () => Own(new HessianOperator(Model with { Loss = LossKind.NormalizedCrossEntropy }, Data)));

    /// <summary>The trainable parameters with their names.</summary>
    public (string Name, TorchSharp.Modules.Parameter Value)[] Parameters => Get("parameters", () => ParameterSelection.Select(Model.Module, null));

    /// <summary>P, the number of trainable parameters.</summary>
    public long P => Parameters.Sum(p => p.Value.numel());

    /// <summary>The mean training loss L(w) on the samples.</summary>
    public double Loss => Get("loss", () =>
    {
        Charge(new MetricCost(ForwardPasses: 1));
        return Hessian.Loss();
    });

    /// <summary>‖w‖² over all trainable parameters.</summary>
    public double WeightNormSquared => Get("weight-norm", () =>
    {
        using var scope = NewDisposeScope();
        return Parameters.Sum(p => p.Value.detach().to(ScalarType.Float64).square().sum().item<double>());
    });

    /// <summary>The flat weights [P] (a detached copy).</summary>
    public Tensor Weights => Get("weights", () => Own(ParameterSelection.Flatten(Parameters.Select(p => p.Value.detach())).DetachFromDisposeScope()));

    /// <summary>Tr H, Tr H² and the Hutchinson diagonal of H from one set of probes.</summary>
    public ProbeSummary HessianProbes => Get("hessian.probes", () => Probe(Hessian, Settings.Seed + 11));

    /// <summary>Tr G, Tr G² and the Hutchinson diagonal of G from one set of probes.</summary>
    public ProbeSummary GgnProbes => Get("ggn.probes", () => Probe(Ggn, Settings.Seed + 12));

    /// <summary>The Hessian diagonal by the configured estimator (<see cref="MeasureSettings.Diagonal"/>).</summary>
    public DiagonalEstimate HessianDiagonal => Get("hessian.diagonal." + Settings.Diagonal, () =>
        Settings.Diagonal == "hutchinson" ? HessianProbes.Diagonal : Own(Diagonal(Hessian)));

    /// <summary>
    /// The diagonal of <paramref name="op"/> by the configured estimator, computed afresh (not cached) and
    /// charged to the current metric; the Hutchinson probes are those of <see cref="HessianProbes"/>. The
    /// caller owns the result.
    /// </summary>
    public DiagonalEstimate Diagonal(CurvatureOperator op) => Settings.Diagonal switch
    {
        "exact" => Counted(op, () => ExactDiagonal.Compute(op)),
        "finite-difference" => FiniteDifference(op),
        "sqgrad" => SquaredGradient(op),
        _ => Counted(op, () => HutchinsonDiagonal.Compute(op, Settings.TraceProbes, Settings.Seed + 11)),
    };

    /// <summary>The finite-difference diagonal of the normalized-loss Hessian, clipped at 0 (seed 004 Algorithm 1).</summary>
    public Tensor NormalizedDiagonal => Get("hessian.normalized.diagonal", () =>
    {
        if (Settings.Diagonal == "exact")
        {
            using var exact = Counted(NormalizedHessian, () => ExactDiagonal.Compute(NormalizedHessian));
            return Own(exact.Values.clamp_min(0).DetachFromDisposeScope());
        }
        using var fd = FiniteDifference(NormalizedHessian);
        return Own(fd.Values.clamp_min(0).DetachFromDisposeScope());
    });

    /// <summary>The per-sample gradient subsets of the Fisher metrics.</summary>
    public FisherSubsets Fisher => Get("fisher", ComputeFisher);

    /// <summary>
    /// Runs <paramref name="compute"/> with the trainable weights set to <paramref name="flat"/> [P], then
    /// restores them (also when it throws).
    /// </summary>
    public T WithWeights<T>(Tensor flat, Func<T> compute)
    {
        SetWeights(flat);
        try
        {
            return compute();
        }
        finally
        {
            SetWeights(Weights);
        }
    }

    private void SetWeights(Tensor flat)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var parts = ParameterSelection.Split(flat, Parameters.Select(p => (Tensor)p.Value).ToArray());
        for (int i = 0; i < parts.Length; i++) Parameters[i].Value.copy_(parts[i]);
    }

    /// <summary>Keeps <paramref name="value"/> until the context is disposed.</summary>
    public T Own<T>(T value) where T : IDisposable
    {
        owned.Add(value);
        return value;
    }

    /// <summary>A shared input computed once.</summary>
    public T Get<T>(string key, Func<T> compute) where T : notnull
    {
        if (!shared.TryGetValue(key, out var value))
        {
            value = compute();
            shared[key] = value;
        }
        return (T)value;
    }

    private T Counted<T>(ILinearOperator op, Func<T> compute)
    {
        long before = op.Products;
        var result = compute();
        Charge(new MetricCost(CurvatureProducts: op.Products - before));
        return result;
    }

    private ProbeSummary Probe(ILinearOperator op, int seed)
    {
        var trace = new List<double>();
        var square = new List<double>();
        long before = op.Products;
        using var probes = new Probes(op, seed);
        using var diagonal = new DiagonalAccumulator(op.Dimension, op.Device);
        for (int i = 0; i < Settings.TraceProbes; i++)
        {
            using var scope = NewDisposeScope();
            var v = probes.Rademacher();
            var av = op.Apply(v);
            trace.Add(v.dot(av).to(ScalarType.Float64).item<double>());
            square.Add(av.dot(av).to(ScalarType.Float64).item<double>());
            diagonal.Add(v * av);
        }
        long products = op.Products - before;
        Charge(new MetricCost(CurvatureProducts: products));
        var settings = Estimate.With(("estimator", "hutchinson"), ("probes", Settings.TraceProbes), ("seed", seed));
        var (mean, se) = diagonal.Result(op.DType);
        Estimate traceEstimate = Settings.HutchPlusPlus
            ? Counted(op, () => HutchPlusPlus.Trace(op, Math.Max(6, Settings.TraceProbes), seed))
            : Summarise(trace, products, settings);
        return new ProbeSummary(traceEstimate, Summarise(square, products, settings),
            Own(new DiagonalEstimate(mean, se, products, Settings.TraceProbes, EstimateStatus.BudgetExhausted, settings)));
    }

    private static Estimate Summarise(List<double> samples, long products, IReadOnlyDictionary<string, string> settings)
    {
        double mean = samples.Average();
        double variance = samples.Sum(x => (x - mean) * (x - mean)) / (samples.Count - 1);
        return new Estimate(mean, Math.Sqrt(variance / samples.Count), products, samples.Count, EstimateStatus.BudgetExhausted, settings);
    }

    private DiagonalEstimate FiniteDifference(CurvatureOperator op)
    {
        var result = FiniteDifferenceDiagonal.Compute(op, Settings.FiniteDifferenceProbes, Settings.FiniteDifferenceStep, Settings.Seed + 13);
        Charge(new MetricCost(Gradients: 2L * Settings.FiniteDifferenceProbes));
        return result;
    }

    private DiagonalEstimate SquaredGradient(CurvatureOperator op)
    {
        var result = SquaredGradientDiagonal.Compute(op, Settings.LaplaceBatch);
        Charge(new MetricCost(Gradients: 1));
        return result;
    }

    private FisherSubsets ComputeFisher()
    {
        int subsetSize = Math.Min(Settings.FisherSubsetSize, N);
        var logDets = new double[Settings.FisherSubsets];
        var spectral = new double[Settings.FisherSubsets];
        var frobenius = new double[Settings.FisherSubsets];
        var norms = new List<double>();
        var fisherRao = new List<double>();
        int singular = 0;
        using var mode = new ModeScope(Model.Module, train: false);
        using var weights64 = Weights.to(ScalarType.Float64);
        for (int t = 0; t < Settings.FisherSubsets; t++)
        {
            using var scope = NewDisposeScope();
            var index = tensor(Shuffle.Permutation(N, Settings.Seed * 1000 + t)[..subsetSize]);
            var x = Samples.Features.index_select(0, index).to(Model.Module.parameters().First().dtype);
            var y = Samples.Labels.index_select(0, index);
            var (j, _) = PerSampleGradients.Compute(Model, Parameters, x, y);
            // One float64 copy of J_t; every statistic is read from it or from the Gram matrix.
            var j64 = j.to(ScalarType.Float64);
            j.Dispose();
            var gram = j64.matmul(j64.t());
            var (chol, info) = linalg.cholesky_ex(gram, check_errors: false);
            var eigenvalues = linalg.eigvalsh(gram);
            if (info.item<int>() == 0)
            {
                logDets[t] = 2 * chol.diagonal().log().sum().item<double>();
            }
            else
            {
                singular++;
                logDets[t] = eigenvalues.clamp_min(Settings.GramFloor).log().sum().item<double>();
            }
            spectral[t] = eigenvalues.max().item<double>();
            frobenius[t] = gram.square().sum().item<double>();
            norms.AddRange(gram.diagonal().data<double>().ToArray());
            fisherRao.AddRange(j64.mul_(weights64).pow_(2).sum(1).data<double>().ToArray());
        }
        Charge(new MetricCost(PerSampleGradients: (long)subsetSize * Settings.FisherSubsets));
        return new FisherSubsets(logDets, singular, spectral, frobenius, norms.ToArray(), fisherRao.ToArray(), subsetSize);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var d in owned) d.Dispose();
        owned.Clear();
        shared.Clear();
    }
}
