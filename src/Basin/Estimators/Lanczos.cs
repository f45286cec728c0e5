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
    private static bool Float64Basis(int steps, long dimension) => (long)steps * dimension * 8 <= Float64BasisBytes;

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
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int steps = (int)Math.Min(rule.MaxIterations, op.Dimension);
        using var scope = NewDisposeScope();
        long before = op.Products;
        Tensor v;
        if (start is null)
        {
            using var probes = new Probes(op, seed);
            v = probes.Rademacher();
        }
        else
        {
            op.CheckVector(start);
            v = start.clone();
        }
        var v64 = v.to(ScalarType.Float64);
        double startNorm = v64.norm().item<double>();
        if (!(startNorm > 0)) throw new ArgumentException("the Lanczos start vector is zero");
        // The basis lives in one preallocated [m, P] matrix: re-orthogonalising against blocks of its first
        // rows allocates nothing of size m·P per step.
        var basisType = Float64Basis(steps, op.Dimension) ? ScalarType.Float64 : op.DType;
        var basis = empty([steps, op.Dimension], basisType, op.Device);
        basis[0].copy_(v64.div(startNorm));
        var alpha = new List<double>();
        var beta = new List<double>();
        bool breakdown = false;
        var status = EstimateStatus.BudgetExhausted;
        double epsilon = Epsilon(op.DType);
        for (int j = 0; j < steps; j++)
        {
            using var step = NewDisposeScope();
            var vj = basis[j].to(ScalarType.Float64);
            var w = op.Apply(basis[j].to(op.DType)).to(ScalarType.Float64);
            double a = vj.dot(w).item<double>();
            alpha.Add(a);
            // Full re-orthogonalisation, twice ("twice is enough", Parlett).
            w = Orthogonalise(basis, j + 1, w);
            w = Orthogonalise(basis, j + 1, w);
            double b = w.norm().item<double>();
            beta.Add(b);
            progress?.Report((j + 1.0) / steps);
            if (b <= 1e-10 * Math.Max(Math.Abs(a), 1e-30) || b == 0)
            {
                breakdown = j < steps - 1;
                status = EstimateStatus.Converged;
                break;
            }
            // The rule reads the run so far (T's eigenproblem is m × m: nothing beside a product); its budget is the loop's.
            double error = rule.RelativeTolerance > 0 && j + 1 >= rule.MinIterations
                ? (relativeError ?? (r => r.TopRelativeResidual()))(new LanczosRun(alpha.ToArray(), beta.ToArray(), startNorm, op.Products - before, false, epsilon))
                : double.PositiveInfinity;
            if (j + 1 < steps && rule.Check(j + 1, error, clock) is { } stop)
            {
                status = stop;
                break;
            }
            if (j == steps - 1)
            {
                status = rule.RelativeTolerance > 0 && error <= rule.RelativeTolerance ? EstimateStatus.Converged : EstimateStatus.BudgetExhausted;
                break;
            }
            basis[j + 1].copy_(w.div(b));
        }
        var result = new LanczosRun(alpha.ToArray(), beta.ToArray(), startNorm, op.Products - before, breakdown, epsilon) { Status = status };
        if (keep is not null) vectors = RitzVectors(basis, result, keep(result)).MoveToOuterDisposeScope();
        return result;
    }

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
    private static Tensor Orthogonalise(Tensor basis, int rows, Tensor w)
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
