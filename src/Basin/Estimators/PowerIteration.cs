using System.Diagnostics;
using Basin.Operators;
using static TorchSharp.torch;

namespace Basin.Estimators;

/// <summary>
/// Power iteration with deflation for the top-k eigenvalues (PyHessian's defaults: 100 iterations,
/// relative tolerance 1e-3 on the change of the eigenvalue). Converges to the eigenvalues largest in
/// magnitude; use <see cref="Lanczos"/> for the largest algebraic ones when negative curvature dominates.
/// </summary>
public static class PowerIteration
{
    /// <summary>The <paramref name="k"/> dominant eigenvalues, each after deflating the ones before.</summary>
    public static EigenEstimate TopEigenvalues(ILinearOperator op, int k, StoppingRule? rule = null, int seed = 0)
    {
        rule ??= new StoppingRule(100, 1e-3);
        rule.Validate();
        if (k < 1 || k > op.Dimension) throw new ArgumentException($"k must be in 1..{op.Dimension}, got {k}");
        using var scope = NewDisposeScope();
        using var probes = new Probes(op, seed);
        long before = op.Products;
        var vectors = new List<Tensor>();
        var values = new List<double>();
        var residuals = new List<double>();
        var converged = new List<bool>();
        for (int i = 0; i < k; i++)
        {
            var clock = Stopwatch.StartNew();
            var v = Deflate(probes.Rademacher(), vectors);
            v = v.div(v.norm());
            double lambda = 0;
            Tensor av = v;
            EstimateStatus? status = null;
            int iteration = 0;
            while (status is null)
            {
                iteration++;
                av = Deflated(op, v, vectors, values);
                double next = v.dot(av).to(ScalarType.Float64).item<double>();
                double change = Math.Abs(next - lambda) / (Math.Abs(lambda) + 1e-6);
                lambda = next;
                var norm = av.norm();
                if (norm.to(ScalarType.Float64).item<double>() == 0) { status = EstimateStatus.Converged; break; }
                v = Deflate(av.div(norm), vectors);
                v = v.div(v.norm());
                status = rule.Check(iteration, change, clock);
            }
            var residual = (op.Apply(v) - v * lambda).norm().to(ScalarType.Float64).item<double>();
            vectors.Add(v);
            values.Add(lambda);
            residuals.Add(residual);
            converged.Add(status == EstimateStatus.Converged);
        }
        return new EigenEstimate(values.ToArray(), residuals.ToArray(), converged.ToArray(), op.Products - before,
            Estimate.With(("estimator", "power-iteration"), ("k", k), ("stopping", rule), ("seed", seed)));
    }

    private static Tensor Deflated(ILinearOperator op, Tensor v, List<Tensor> vectors, List<double> values)
    {
        var av = op.Apply(v);
        for (int j = 0; j < vectors.Count; j++) av = av - vectors[j] * (values[j] * vectors[j].dot(v));
        return av;
    }

    private static Tensor Deflate(Tensor v, List<Tensor> vectors)
    {
        foreach (var u in vectors) v = v - u * u.dot(v);
        return v;
    }
}
