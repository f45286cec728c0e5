using Basin.Operators;
using static TorchSharp.torch;

namespace Basin.Estimators;

/// <summary>
/// Hutch++ (Meyer, Musco, Musco, Woodruff 2021): with m products split in thirds, sketch
/// <c>Q = orth(A S)</c>, take the trace on that subspace exactly, <c>Tr(QᵀAQ)</c>, and Hutchinson's
/// estimate on the complement, <c>(3/m) Σ gᵀ(I−QQᵀ)A(I−QQᵀ)g</c>. Same cost as Hutchinson, far lower
/// variance when the spectrum has a few large eigenvalues (neural-net Hessians do). The standard error
/// is that of the complement's Hutchinson part.
/// </summary>
public static class HutchPlusPlus
{
    /// <summary>Estimates <c>Tr A</c> with <paramref name="products"/> operator products (rounded down to a multiple of 3, at least 6).</summary>
    public static Estimate Trace(ILinearOperator op, int products, int seed = 0)
    {
        if (products < 6) throw new ArgumentException($"Hutch++ needs at least 6 products, got {products}");
        return Trace(op, new StoppingRule(products, MinIterations: 1), seed);
    }

    /// <summary>
    /// Estimates <c>Tr A</c> within <paramref name="rule"/>: its budget (at least 6 products) is split in thirds as above; the
    /// complement's Hutchinson probes then stop early once the estimate's relative standard error is within the rule's tolerance
    /// (or its time is spent), so a spectrum the sketch already captures costs two thirds of the budget and a few probes.
    /// </summary>
    public static Estimate Trace(ILinearOperator op, StoppingRule rule, int seed = 0) => Run(op, rule, seed, withSquare: false).Trace;

    /// <summary>
    /// <c>Tr A</c> and <c>Tr A² = ‖A‖_F²</c> from the same products: <c>Tr A² = ‖AQ‖_F² + Tr(PA²P)</c> with <c>P = I − QQᵀ</c> (the trace is
    /// cyclic and P idempotent), the first exact from the sketch's <c>AQ</c>, the second Hutchinson's on the complement, <c>‖A P g‖²</c>,
    /// from the products the trace's complement already takes. Where a few eigenvalues carry most of <c>Σλ²</c> — a network Hessian's
    /// outliers — the sketch takes them and the error falls with them; the probes stop on the larger of the two relative errors.
    /// </summary>
    public static (Estimate Trace, Estimate TraceOfSquare) TraceAndTraceOfSquare(ILinearOperator op, StoppingRule rule, int seed = 0) => Run(op, rule, seed, withSquare: true);

    /// <summary>
    /// The bytes a run of <paramref name="products"/> holds for an operator of <paramref name="dimension"/> values of
    /// <paramref name="valueBytes"/> each: its k = products/3 columns of sketch, probes, products, basis, basis products and
    /// complement, with the basis and the products once more in float64.
    /// </summary>
    public static long HoldingBytes(int products, long dimension, int valueBytes) => products / 3 * dimension * (6L * valueBytes + 16);

    private static (Estimate Trace, Estimate TraceOfSquare) Run(ILinearOperator op, StoppingRule rule, int seed, bool withSquare)
    {
        rule.Validate();
        if (rule.MaxIterations < 6) throw new ArgumentException($"Hutch++ needs at least 6 products, got {rule.MaxIterations}");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int k = rule.MaxIterations / 3;
        if (k > op.Dimension) throw new ArgumentException($"Hutch++ with {rule.MaxIterations} products sketches {k} directions, more than the dimension {op.Dimension}");
        using var scope = NewDisposeScope();
        using var probes = new Probes(op, seed);
        long before = op.Products;
        var s = probes.RademacherMatrix(k);
        var g = probes.RademacherMatrix(k);
        var sketch = Columns(op, s);
        var (q, _) = linalg.qr(sketch.to(ScalarType.Float64));
        q = q.to(op.DType);
        var aq = Columns(op, q);
        double exact = (q * aq).sum().to(ScalarType.Float64).item<double>();
        double exactSquare = withSquare ? aq.to(ScalarType.Float64).square().sum().item<double>() : double.NaN;
        var complement = g - q.matmul(q.t().matmul(g));
        var stats = new RunningStatistics();
        var squares = new RunningStatistics();
        var status = EstimateStatus.BudgetExhausted;
        for (int j = 0; j < k; j++)
        {
            using var probe = NewDisposeScope();
            var c = complement[.., j].contiguous();
            var ac = op.Apply(c);
            stats.Add(c.dot(ac).to(ScalarType.Float64).item<double>());
            if (withSquare) squares.Add(ac.to(ScalarType.Float64).square().sum().item<double>());
            double relative = stats.Count > 1 ? stats.StandardError / Math.Max(Math.Abs(exact + stats.Mean), 1e-300) : double.PositiveInfinity;
            if (withSquare && squares.Count > 1) relative = Math.Max(relative, squares.StandardError / Math.Max(exactSquare + squares.Mean, 1e-300));
            if (rule.RelativeTolerance > 0 && j + 1 == k && relative <= rule.RelativeTolerance) status = EstimateStatus.Converged;
            if (j + 1 < k && rule.Check(j + 1, relative, clock) is { } stop)
            {
                status = stop;
                break;
            }
        }
        var described = Estimate.With(("estimator", "hutch++"), ("products", op.Products - before), ("sketch", k), ("seed", seed), ("stopping", rule));
        return (new Estimate(exact + stats.Mean, stats.StandardError, op.Products - before, stats.Count, status, described),
            new Estimate(exactSquare + squares.Mean, squares.StandardError, op.Products - before, squares.Count, status, described));
    }

    private static Tensor Columns(ILinearOperator op, Tensor vectors)
    {
        var columns = new Tensor[vectors.shape[1]];
        for (long j = 0; j < columns.Length; j++) columns[j] = op.Apply(vectors[.., j].contiguous());
        return stack(columns, 1);
    }
}
