using System.Diagnostics;

namespace Basin.Estimators;

/// <summary>Why an estimator stopped.</summary>
public enum EstimateStatus
{
    /// <summary>The tolerance was met.</summary>
    Converged,

    /// <summary>The product or iteration budget ran out first.</summary>
    BudgetExhausted,

    /// <summary>The time budget ran out first.</summary>
    TimeExhausted,

    /// <summary>Computed exactly (no stochastic error).</summary>
    Exact,
}

/// <summary>
/// When an iterative or stochastic estimator stops: at <see cref="MaxIterations"/> products or iterations,
/// when its relative error (standard error over |estimate| for stochastic estimators, relative change for
/// iterative ones) falls to <see cref="RelativeTolerance"/> after at least <see cref="MinIterations"/>, or
/// when <see cref="TimeBudget"/> is spent — whichever comes first.
/// </summary>
public sealed record StoppingRule(int MaxIterations = 100, double RelativeTolerance = 0, TimeSpan? TimeBudget = null, int MinIterations = 2)
{
    /// <summary>Throws <see cref="ArgumentException"/> for a rule that could not stop or start.</summary>
    public void Validate()
    {
        if (MaxIterations < 1) throw new ArgumentException($"the iteration budget must be positive, got {MaxIterations}");
        if (!(RelativeTolerance >= 0)) throw new ArgumentException($"the relative tolerance must be ≥ 0, got {RelativeTolerance}");
        if (MinIterations < 1) throw new ArgumentException("at least one iteration is needed");
    }

    /// <summary>The status to stop with after <paramref name="iterations"/> at relative error <paramref name="relativeError"/>, or null to go on.</summary>
    public EstimateStatus? Check(int iterations, double relativeError, Stopwatch clock)
    {
        if (iterations >= MinIterations && RelativeTolerance > 0 && relativeError <= RelativeTolerance) return EstimateStatus.Converged;
        if (iterations >= MaxIterations) return EstimateStatus.BudgetExhausted;
        if (TimeBudget is { } budget && clock.Elapsed >= budget) return EstimateStatus.TimeExhausted;
        return null;
    }

    /// <summary>
    /// How many of the next iterations to run at once after <paramref name="done"/>, at most <paramref name="most"/>: those left of the
    /// budget, and under a tolerance or a time budget only those left of the minimum (which the rule runs whatever it reads), so that it is
    /// still read after every iteration beyond; at least one.
    /// </summary>
    public int AtOnce(int done, int most)
    {
        int left = Math.Min(most, MaxIterations - done);
        if (RelativeTolerance > 0 || TimeBudget is not null) left = Math.Min(left, MinIterations - done);
        return Math.Max(1, left);
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"max {MaxIterations}" + (RelativeTolerance > 0 ? $", rel. tol {RelativeTolerance:G3}" : "") + (TimeBudget is { } t ? $", {t.TotalSeconds:G3}s" : "");
}
