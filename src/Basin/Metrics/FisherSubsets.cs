using Basin.Data;
using Basin.Models;
using Basin.Operators;
using static TorchSharp.torch;

namespace Basin.Metrics;

/// <summary>
/// Per-subset statistics of the per-sample gradient matrices J_t of seed 001 (rows g_i at the true labels
/// of a seeded subset S_t of N′ samples), read in float64 from one copy of J_t and its Gram matrix
/// ξ_t = J_t J_tᵀ. Every Fisher metric is computed from these.
/// </summary>
/// <param name="LogDets">ln det ξ_t per subset (Cholesky; eigenvalues floored at ε when singular).</param>
/// <param name="Singular">How many Gram matrices needed the eigenvalue floor.</param>
/// <param name="SpectralNormsSquared">‖J_t‖₂² = λ_max(ξ_t) per subset.</param>
/// <param name="GramFrobeniusSquared">‖ξ_t‖_F² per subset.</param>
/// <param name="GramOffDiagonalSquared">Σ_{i≠j} (ξ_t)_ij² = Σ_{i≠j} (g_iᵀg_j)² per subset (the U-statistic's sum).</param>
/// <param name="SquaredNorms">‖g_i‖² of every sample of every subset.</param>
/// <param name="FisherRao">Σ_k (w_k g_ik)² of every sample (for <c>norm.fisher_rao</c>).</param>
/// <param name="SubsetSize">N′.</param>
public sealed record FisherSubsets(double[] LogDets, int Singular, double[] SpectralNormsSquared, double[] GramFrobeniusSquared, double[] GramOffDiagonalSquared, double[] SquaredNorms, double[] FisherRao, int SubsetSize)
{
    /// <summary>How the per-sample gradients were computed (the loop where the model's layers are opaque to the batched method, e.g. TorchScript).</summary>
    public PerSampleMethod Method { get; init; }

    /// <summary>The setting that says so, for the Fisher metrics' results.</summary>
    public (string Key, object Value) MethodSetting => ("per_sample_gradients", Method == PerSampleMethod.Loop ? "loop (layers opaque to the batched method)" : "batched");

    /// <summary>The subsets as a shared input: N′ per-sample gradients for each of T subsets.</summary>
    /// <remarks>
    /// The batched method holds one layer's per-sample block at a time (at most <see cref="Operators.LayerPerSample.BlockBytes"/>, with its
    /// float64 copy and products: four of them, or three times J_t where that is less); the loop writes a subset's N′ × P gradients into one matrix. Both hold three P-vectors
    /// (the parameters, their gradient and a float64 copy).
    /// </remarks>
    public static SharedInput<FisherSubsets> Input { get; } = new SharedInput<FisherSubsets>("Fisher subsets", (s, _, _) => new MetricCost(PerSampleGradients: (long)s.FisherSubsets * s.FisherSubsetSize),
        c => Compute(c.Model, c.Parameters, c.Samples, c.Weights, c.Settings, c.Ledger))
        .Holding((s, shape) => (shape.PerSampleLoop ? Bytes(s.FisherSubsetSize, shape.Parameters, shape.ValueBytes)
            : Math.Min(4 * Operators.LayerPerSample.BlockBytes, 3 * Bytes(s.FisherSubsetSize, shape.Parameters, shape.ValueBytes)))
            + Bytes(3, shape.Parameters, shape.ValueBytes));

    /// <summary>Computes the statistics of <see cref="MeasureSettings.FisherSubsets"/> subsets of <paramref name="samples"/>, charging <paramref name="ledger"/>.</summary>
    public static FisherSubsets Compute(Model model, (string Name, TorchSharp.Modules.Parameter Value)[] parameters, Dataset samples, Tensor weights, MeasureSettings settings, CostLedger ledger)
    {
        int n = samples.Count, subsetSize = settings.FisherSubsetSize, count = settings.FisherSubsets;
        if (subsetSize > n)
            throw new ArgumentException($"Fisher subsets of N′ = {subsetSize} samples need at least that many measured samples, got {n}: measure on more samples or use smaller subsets");
        var logDets = new double[count];
        var spectral = new double[count];
        var frobenius = new double[count];
        var offDiagonal = new double[count];
        var norms = new List<double>();
        var fisherRao = new List<double>();
        int singular = 0;
        var method = PerSampleMethod.Batched;
        using var mode = new ModeScope(model.Module, train: false);
        using var weights64 = weights.to(ScalarType.Float64);
        for (int t = 0; t < count; t++)
        {
            using var scope = NewDisposeScope();
            var index = tensor(Shuffle.Permutation(n, settings.FisherSubsetSeed(t))[..subsetSize]);
            var x = samples.Features.index_select(0, index).to(weights.dtype, weights.device);
            var y = samples.Labels.index_select(0, index).to(weights.device);
            // The Gram matrix ξ_t = J_t J_tᵀ and the Fisher-Rao terms in float64, layer by layer: never J_t itself where the batched
            // method applies (a ResNet-18's 100 × 11.2 M float32 J_t was 4.5 GB, and twice that while it was assembled).
            var (gram, rao, used) = PerSampleGradients.Gram(model, parameters, x, y, weights64);
            method = used;
            var (chol, info) = linalg.cholesky_ex(gram, check_errors: false);
            var eigenvalues = linalg.eigvalsh(gram);
            if (info.item<int>() == 0)
            {
                logDets[t] = 2 * chol.diagonal().log().sum().item<double>();
            }
            else
            {
                singular++;
                logDets[t] = eigenvalues.clamp_min(settings.GramFloor).log().sum().item<double>();
            }
            spectral[t] = eigenvalues.max().item<double>();
            frobenius[t] = gram.square().sum().item<double>();
            offDiagonal[t] = (gram - diag_embed(gram.diagonal())).square().sum().item<double>();
            norms.AddRange(gram.diagonal().data<double>().ToArray());
            fisherRao.AddRange(rao.data<double>().ToArray());
        }
        ledger.Charge(new MetricCost(PerSampleGradients: (long)subsetSize * count));
        return new FisherSubsets(logDets, singular, spectral, frobenius, offDiagonal, norms.ToArray(), fisherRao.ToArray(), subsetSize) { Method = method };
    }

    /// <summary>The bytes <paramref name="rows"/> per-sample gradients take: rows × P values of <paramref name="valueBytes"/> (4 for float32, a trained model's).</summary>
    public static long Bytes(int rows, long parameters, int valueBytes) => (long)rows * parameters * valueBytes;
}
