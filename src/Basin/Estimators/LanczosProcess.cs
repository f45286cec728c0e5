using Basin.Operators;
using static TorchSharp.torch;

namespace Basin.Estimators;

/// <summary>
/// One Lanczos run (<see cref="Lanczos"/>) held step by step: it names the vector to multiply next and takes the product back, so
/// that several runs on one operator can share its products (<see cref="Lanczos.RunTogether"/>: one block product a step for all).
/// </summary>
/// <remarks>
/// The arithmetic is <see cref="Lanczos"/>'s: float64 scalars and working vector, full re-orthogonalisation twice, the basis in
/// float64 while it fits, the stopping rule read after every step from its minimum on, and a breakdown stopping it as converged.
/// </remarks>
internal sealed class LanczosProcess : IDisposable
{
    private readonly ILinearOperator op;
    private readonly StoppingRule rule;
    private readonly Func<LanczosRun, double>? relativeError;
    private readonly System.Diagnostics.Stopwatch clock = System.Diagnostics.Stopwatch.StartNew();
    private readonly Tensor basis;
    private readonly List<double> alpha = [], beta = [];
    private readonly double startNorm, epsilon;
    private bool breakdown;

    /// <summary>Starts a run from <paramref name="start"/> (not changed) with at most <paramref name="rule"/>'s steps, capped at the dimension.</summary>
    public LanczosProcess(ILinearOperator op, StoppingRule rule, Tensor start, Func<LanczosRun, double>? relativeError)
    {
        rule.Validate();
        op.CheckVector(start);
        (this.op, this.rule, this.relativeError) = (op, rule, relativeError);
        MaxSteps = (int)Math.Min(rule.MaxIterations, op.Dimension);
        epsilon = Lanczos.Epsilon(op.DType);
        using var scope = NewDisposeScope();
        var v64 = start.to(ScalarType.Float64);
        startNorm = v64.norm().item<double>();
        if (!(startNorm > 0)) throw new ArgumentException("the Lanczos start vector is zero");
        // The basis lives in one preallocated [m, P] matrix: re-orthogonalising against blocks of its first rows allocates nothing
        // of size m·P per step.
        basis = empty([MaxSteps, op.Dimension], Lanczos.Float64Basis(MaxSteps, op.Dimension) ? ScalarType.Float64 : op.DType, op.Device).DetachFromDisposeScope();
        basis[0].copy_(v64.div(startNorm));
    }

    /// <summary>The most steps it may take.</summary>
    public int MaxSteps { get; }

    /// <summary>Steps taken.</summary>
    public int Steps => alpha.Count;

    /// <summary>Whether it has stopped.</summary>
    public bool Done { get; private set; }

    /// <summary>Why it stopped (valid once <see cref="Done"/>).</summary>
    public EstimateStatus Status { get; private set; } = EstimateStatus.BudgetExhausted;

    /// <summary>The vector to multiply next, in the operator's dtype (a new tensor).</summary>
    public Tensor Next() => basis[Steps].to(op.DType);

    /// <summary>Takes <c>A v_j</c> for the vector <see cref="Next"/> gave, and prepares the next one unless the run stops here; returns whether it goes on.</summary>
    public bool Advance(Tensor product)
    {
        if (Done) throw new InvalidOperationException("the Lanczos run has stopped");
        using var step = NewDisposeScope();
        int j = Steps;
        var w = product.to(ScalarType.Float64);
        double a = basis[j].to(ScalarType.Float64).dot(w).item<double>();
        alpha.Add(a);
        // Full re-orthogonalisation, twice ("twice is enough", Parlett).
        w = Lanczos.Orthogonalise(basis, j + 1, w);
        w = Lanczos.Orthogonalise(basis, j + 1, w);
        double b = w.norm().item<double>();
        beta.Add(b);
        if (b <= 1e-10 * Math.Max(Math.Abs(a), 1e-30) || b == 0)
        {
            breakdown = j < MaxSteps - 1;
            return Stop(EstimateStatus.Converged);
        }
        // The rule reads the run so far (T's eigenproblem is m × m: nothing beside a product); its budget is the loop's.
        double error = rule.RelativeTolerance > 0 && j + 1 >= rule.MinIterations
            ? (relativeError ?? (r => r.TopRelativeResidual()))(Run(EstimateStatus.BudgetExhausted, false))
            : double.PositiveInfinity;
        if (j + 1 < MaxSteps && rule.Check(j + 1, error, clock) is { } stop) return Stop(stop);
        if (j == MaxSteps - 1) return Stop(rule.RelativeTolerance > 0 && error <= rule.RelativeTolerance ? EstimateStatus.Converged : EstimateStatus.BudgetExhausted);
        basis[j + 1].copy_(w.div(b));
        return true;
    }

    private bool Stop(EstimateStatus status)
    {
        (Done, Status) = (true, status);
        return false;
    }

    /// <summary>The run so far (its tridiagonal matrix; one product a step).</summary>
    public LanczosRun Result() => Run(Status, breakdown);

    private LanczosRun Run(EstimateStatus status, bool broke) => new(alpha.ToArray(), beta.ToArray(), startNorm, Steps, broke, epsilon) { Status = status };

    /// <summary>The basis [m, P] (owned by the process).</summary>
    public Tensor Basis => basis;

    /// <inheritdoc />
    public void Dispose() => basis.Dispose();
}
