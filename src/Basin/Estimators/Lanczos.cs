using Basin.Operators;
using static TorchSharp.torch;

namespace Basin.Estimators;

/// <summary>
/// The Lanczos algorithm with full re-orthogonalisation (Lanczos 1950; Paige 1972; as in Ghorbani et al.
/// 2019 and PyHessian): m products build an orthonormal Krylov basis and a tridiagonal T whose eigenvalues
/// (Ritz values) approximate A's extreme eigenvalues; T's eigenproblem is solved in float64.
/// </summary>
/// <remarks>
/// Every scalar — α_j = v_jᵀAv_j, the re-orthogonalisation coefficients Qᵀw and β_j = ‖w‖ — and the vector w
/// they act on are computed in float64. The basis is kept in float64 too while m·P·8 bytes fit in 2 GiB;
/// beyond that it is stored in the operator's dtype (v_{j+1} = w/β_j rounded only when stored) and read back
/// in float64 blocks. With float32 scalars a
/// dot product over P ≈ 10⁵–10⁶ entries carries a relative error of order √P·2⁻²⁴ ≈ 10⁻⁵, which biased the
/// Ritz values of a 269k-parameter network upward by 1–3·10⁻⁵ against a float64 reference. The residual
/// β_m|s_{m,i}| cannot fall below what the working precision resolves, so the reported residual is at least
/// <c>ε·max|θ|</c>, ε the machine epsilon of the operator's dtype.
/// </remarks>
public static class Lanczos
{
    private const long BlockElements = 1L << 24;
    [ThreadStatic]
    private static long? float64BasisBytes;

    /// <summary>The largest basis kept in float64, in bytes (2 GiB); a test lowers it, on its own thread, to exercise the blocked path.</summary>
    internal static long Float64BasisBytes
    {
        get => float64BasisBytes ?? 2L << 30;
        set => float64BasisBytes = value;
    }

    /// <summary>
    /// The bytes a run of <paramref name="steps"/> steps holds on a dimension of <paramref name="dimension"/>: its basis (float64 while it
    /// fits <c>Float64BasisBytes</c>, else the operator's values of <paramref name="valueBytes"/>) and four float64 working vectors.
    /// </summary>
    public static long BasisBytes(int steps, long dimension, int valueBytes) =>
        (long)steps * dimension * (Float64Basis(steps, dimension) ? 8 : valueBytes) + 4 * dimension * 8;

    /// <summary>Whether a basis of <paramref name="steps"/> vectors of <paramref name="dimension"/> is kept in float64 (it fits <c>Float64BasisBytes</c>).</summary>
    internal static bool Float64Basis(int steps, long dimension) => (long)steps * dimension * 8 <= Float64BasisBytes;

    /// <summary>Runs <paramref name="steps"/> Lanczos steps from <paramref name="start"/> (a seeded Rademacher vector when null).</summary>
    public static LanczosRun Run(ILinearOperator op, int steps, int seed = 0, Tensor? start = null, IProgress<double>? progress = null)
    {
        if (steps < 1) throw new ArgumentException($"Lanczos needs at least one step, got {steps}");
        return Run(op, new StoppingRule(steps, MinIterations: 1), seed, start, progress);
    }

    /// <summary>
    /// Runs Lanczos steps from <paramref name="start"/> (a seeded Rademacher vector when null) until <paramref name="rule"/> stops it:
    /// at its step budget (at most the dimension), its time, or — with a tolerance — once <paramref name="relativeError"/> of the run
    /// so far is within it, checked after every step from the rule's minimum on. The default error is the top Ritz pair's relative
    /// residual (<see cref="LanczosRun.TopRelativeResidual"/>); SLQ passes its quadrature's change instead. An invariant subspace
    /// (breakdown) stops it as converged.
    /// </summary>
    public static LanczosRun Run(ILinearOperator op, StoppingRule rule, int seed = 0, Tensor? start = null, IProgress<double>? progress = null, Func<LanczosRun, double>? relativeError = null) =>
        Run(op, rule, seed, start, progress, relativeError, null, out _);

    /// <summary>
    /// <see cref="Run(ILinearOperator, StoppingRule, int, Tensor?, IProgress{double}?, Func{LanczosRun, double}?)"/>, keeping the Ritz
    /// vectors <c>y_i = V s_i</c> of the Ritz pairs <paramref name="keep"/> picks from the finished run (indices into its ascending
    /// <see cref="LanczosRun.Ritz()"/> values) as the rows of a float64 [k, P] matrix (the caller owns it): what deflation needs.
    /// </summary>
    internal static LanczosRun Run(ILinearOperator op, StoppingRule rule, int seed, Tensor? start, IProgress<double>? progress, Func<LanczosRun, double>? relativeError,
        Func<LanczosRun, int[]>? keep, out Tensor? vectors)
    {
        rule.Validate();
        vectors = null;
        using var scope = NewDisposeScope();
        Tensor v;
        if (start is null)
        {
            using var probes = new Probes(op, seed);
            v = probes.Rademacher();
        }
        else v = start;
        using var process = new LanczosProcess(op, rule, v, relativeError);
        while (true)
        {
            using var step = NewDisposeScope();
            bool more = process.Advance(op.Apply(process.Next()));
            progress?.Report((double)process.Steps / process.MaxSteps);
            if (!more) break;
        }
        var result = process.Result();
        if (keep is not null) vectors = RitzVectors(process.Basis, result, keep(result)).MoveToOuterDisposeScope();
        return result;
    }

    /// <summary>
    /// Runs one Lanczos process from each of <paramref name="starts"/> in lock-step, each under <paramref name="rule"/> (and
    /// <paramref name="relativeError"/>, as <see cref="Run(ILinearOperator, StoppingRule, int, Tensor?, IProgress{double}?, Func{LanczosRun, double}?)"/>):
    /// every step multiplies the vectors of the runs still going as one block (<see cref="ILinearOperator.ApplyBlock"/>), which an
    /// operator that shares a pass among them (<see cref="ILinearOperator.SharesBlocks"/>) computes for less than as many products.
    /// The runs are those the starts would give one by one, to rounding; they hold their bases at once (<see cref="Together(int, int, long, int)"/>).
    /// </summary>
    internal static LanczosRun[] RunTogether(ILinearOperator op, StoppingRule rule, IReadOnlyList<Tensor> starts, Func<LanczosRun, double>? relativeError, IProgress<double>? progress = null)
    {
        var processes = new List<LanczosProcess>();
        try
        {
            foreach (var start in starts) processes.Add(new LanczosProcess(op, rule, start, relativeError));
            double total = processes.Sum(p => p.MaxSteps);
            while (processes.Where(p => !p.Done).ToArray() is { Length: > 0 } going)
            {
                using var step = NewDisposeScope();
                if (going.Length == 1) going[0].Advance(op.Apply(going[0].Next()));
                else
                {
                    var products = op.ApplyBlock(stack(going.Select(p => p.Next()).ToArray()));
                    for (int i = 0; i < going.Length; i++) going[i].Advance(products[i]);
                }
                progress?.Report(processes.Sum(p => p.Done ? p.MaxSteps : p.Steps) / total);
            }
            return processes.Select(p => p.Result()).ToArray();
        }
        finally
        {
            foreach (var p in processes) p.Dispose();
        }
    }

    /// <summary>
    /// How many of <paramref name="starts"/> runs of <paramref name="steps"/> steps on a dimension of <paramref name="dimension"/> may go
    /// in lock-step: all, where their bases together fit the float64 basis bound (<see cref="Float64BasisBytes"/>, 2 GiB), else one
    /// at a time. A memory preview counts this many bases.
    /// </summary>
    public static int Together(int starts, int steps, long dimension, int valueBytes) =>
        starts > 1 && starts * BasisBytes(steps, dimension, valueBytes) <= Float64BasisBytes ? starts : 1;

    /// <summary><see cref="Together(int, int, long, int)"/> on <paramref name="op"/>: one at a time unless it shares a block product's work (<see cref="ILinearOperator.SharesBlocks"/>).</summary>
    public static int Together(ILinearOperator op, int starts, int steps) =>
        op.SharesBlocks ? Together(starts, steps, op.Dimension, ValueBytes(op.DType)) : 1;

    /// <summary>The bytes a memory preview counts for a value of <paramref name="dtype"/>: 8 for float64, else 4.</summary>
    public static int ValueBytes(ScalarType dtype) => dtype == ScalarType.Float64 ? 8 : 4;

    /// <summary>The rows <c>s_iᵀ V</c> (float64) for the Ritz pairs <paramref name="picked"/> of <paramref name="run"/>, V its basis, read in blocks.</summary>
    private static Tensor RitzVectors(Tensor basis, LanczosRun run, int[] picked)
    {
        int m = run.Steps;
        var (_, s) = Tridiagonal.Eigen(run.Alpha, run.Beta[..(m - 1)]);
        var coefficients = new double[picked.Length * m];
        for (int i = 0; i < picked.Length; i++)
            for (int j = 0; j < m; j++) coefficients[i * m + j] = s[j, picked[i]];
        var weights = tensor(coefficients, [picked.Length, m], ScalarType.Float64).to(basis.device);
        long dimension = basis.shape[1];
        int block = (int)Math.Max(1, Math.Min(m, BlockElements / Math.Max(dimension, 1)));
        var result = zeros([picked.Length, dimension], ScalarType.Float64, basis.device);
        for (int first = 0; first < m; first += block)
        {
            using var scope = NewDisposeScope();
            int rows = Math.Min(block, m - first);
            result.add_(weights.narrow(1, first, rows).mm(basis.narrow(0, first, rows).to(ScalarType.Float64)));
        }
        return result;
    }

    /// <summary><c>w − Q(Qᵀw)</c> in float64 for the first <paramref name="rows"/> basis vectors Q, taken in blocks of at most 2²⁴ entries.</summary>
    internal static Tensor Orthogonalise(Tensor basis, int rows, Tensor w)
    {
        long dimension = basis.shape[1];
        int block = (int)Math.Max(1, Math.Min(rows, BlockElements / Math.Max(dimension, 1)));
        var result = w.clone();
        for (int start = 0; start < rows; start += block)
        {
            using var scope = NewDisposeScope();
            var q = basis.narrow(0, start, Math.Min(block, rows - start)).to(ScalarType.Float64);
            result.sub_(q.t().mv(q.mv(w)));
        }
        return result;
    }

    /// <summary>The machine epsilon of <paramref name="dtype"/> (the unit of the working precision).</summary>
    internal static double Epsilon(ScalarType dtype) => dtype switch
    {
        ScalarType.Float64 => Math.Pow(2, -52),
        ScalarType.Float32 => Math.Pow(2, -23),
        ScalarType.BFloat16 => Math.Pow(2, -7),
        _ => Math.Pow(2, -10),
    };

    /// <summary>The <paramref name="k"/> largest eigenvalues from <paramref name="steps"/> Lanczos steps.</summary>
    public static EigenEstimate TopEigenvalues(ILinearOperator op, int k, int steps = 100, double tolerance = 1e-6, int seed = 0, IProgress<double>? progress = null)
    {
        if (k < 1) throw new ArgumentException($"k must be positive, got {k}");
        return TopEigenvalues(Run(op, Math.Max(steps, k + 1), seed, progress: progress), k, tolerance, seed);
    }

    /// <summary>
    /// The <paramref name="k"/> largest eigenvalues, stepping until every one's relative residual ‖Av − θv‖/|θ| is within the
    /// rule's tolerance (or its budget or time is spent); <see cref="EigenEstimate.Settings"/> says why it stopped.
    /// </summary>
    public static EigenEstimate TopEigenvalues(ILinearOperator op, int k, StoppingRule rule, int seed = 0, IProgress<double>? progress = null)
    {
        if (k < 1) throw new ArgumentException($"k must be positive, got {k}");
        var run = Run(op, rule with { MaxIterations = Math.Max(rule.MaxIterations, k + 1), MinIterations = Math.Max(rule.MinIterations, k + 1) }, seed, progress: progress, relativeError: r => r.TopRelativeResidual(k));
        var estimate = TopEigenvalues(run, k, rule.RelativeTolerance > 0 ? rule.RelativeTolerance : 1e-6, seed);
        return estimate with { Settings = new Dictionary<string, string>(estimate.Settings) { ["stopping"] = rule.ToString(), ["stopped"] = run.Status.ToString() } };
    }

    /// <summary>
    /// The <paramref name="k"/> largest Ritz values of a run already made — e.g. the first start of an SLQ run, which
    /// is the same algorithm from a random start: a spectrum that needs both spends its products once.
    /// </summary>
    public static EigenEstimate TopEigenvalues(LanczosRun run, int k, double tolerance = 1e-6, int seed = 0)
    {
        if (k < 1) throw new ArgumentException($"k must be positive, got {k}");
        var (values, _, residuals) = run.Ritz();
        var order = Enumerable.Range(0, values.Length).OrderByDescending(i => values[i]).Take(k).ToArray();
        return Result(run, order, values, residuals, tolerance, k, run.Steps, seed);
    }

    /// <summary>The smallest (algebraic) eigenvalue λ_min.</summary>
    public static EigenEstimate SmallestEigenvalue(ILinearOperator op, int steps = 100, double tolerance = 1e-6, int seed = 0)
    {
        var run = Run(op, steps, seed);
        var (values, _, residuals) = run.Ritz();
        return Result(run, [0], values, residuals, tolerance, 1, steps, seed);
    }

    private static EigenEstimate Result(LanczosRun run, int[] order, double[] values, double[] residuals, double tolerance, int k, int steps, int seed) => new(
        order.Select(i => values[i]).ToArray(),
        order.Select(i => residuals[i]).ToArray(),
        order.Select(i => residuals[i] <= tolerance * Math.Max(Math.Abs(values[i]), 1e-12)).ToArray(),
        run.Products,
        Estimate.With(("estimator", "lanczos"), ("k", k), ("steps", steps), ("reorthogonalisation", "full"), ("scalars", "float64"), ("tolerance", tolerance), ("seed", seed)));
}
