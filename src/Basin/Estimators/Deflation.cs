using Basin.Operators;
using static TorchSharp.torch;

namespace Basin.Estimators;

/// <summary>
/// The converged top Ritz pairs (θ_i, q_i) of one Lanczos run, kept as vectors, and the operator deflated by them:
/// <c>P A P</c> with <c>P = I − QQᵀ</c>. Hutchinson's probes and stochastic Lanczos quadrature on the deflated operator (Gambhir,
/// Stathopoulos &amp; Orginos 2017 for traces; Lin, Saad &amp; Yang 2016 for densities) see only the bulk, whose spectrum spans
/// <c>[λ_min, θ_{k+1}]</c> instead of <c>[λ_min, λ₁]</c>: the outliers' share is exact, no Gauss node is spent on them, and a probe's
/// variance no longer carries them — which is most of a trained network's Tr H² (docs/benchmarks.md, 2026-12-04).
/// </summary>
/// <remarks>
/// <para>
/// <c>Tr f(A) = Σ_i f(θ_i) + Tr f(A₂₂) + c</c>, with <c>A₂₂ = Q⊥ᵀ A Q⊥</c> the operator on the complement. For f(t) = t, c = 0 for any
/// orthonormal Q. For <c>f(t) = log(1 + t/δ)</c> and A ⪰ 0 (log-determinants of the GGN), writing <c>M = I + A/δ</c> in the basis
/// [Q, Q⊥] and taking its Schur complement, <c>−Σ_i ‖E_i‖² / (δ(δ + θ_i)) ≤ c ≤ 0</c> with <c>E_i = Q⊥ᵀ A q_i</c>, whose norm is at most
/// the Ritz residual <c>r_i = ‖A q_i − θ_i q_i‖</c> (<see cref="LogBias"/>): second order in the residuals, so a pair is deflated only
/// once its relative residual is within <see cref="Tolerance"/>.
/// </para>
/// <para>
/// A deflated start is <c>P v</c> for a Rademacher v, so <c>E[(Pv)ᵀ f(PAP) (Pv)] = Tr(P f(PAP) P) = Tr f(A₂₂)</c>, and a
/// Lanczos run from it stays in range(P): the operator projects before and after every product, so rounding left along Q is removed
/// at the next product (the projections run in float64).
/// </para>
/// </remarks>
public sealed class Deflation : IDisposable
{
    private readonly Tensor vectors;

    private Deflation(LanczosRun run, double[] values, double[] residuals, Tensor vectors)
    {
        Run = run;
        Values = values;
        Residuals = residuals;
        this.vectors = vectors;
    }

    /// <summary>The largest relative residual <c>r_i/|θ_i|</c> a deflated pair may have (10⁻⁴).</summary>
    public const double Tolerance = 1e-4;

    /// <summary>
    /// The relative residual a deflation run stops at: where the working precision's floor on a Ritz residual (ε·max|θ|, see
    /// <see cref="LanczosRun.Ritz()"/>) lies for the top pairs of a spectrum spanning a decade, 10ε — so its top eigenvalues are as
    /// exact as a run that stopped on them alone.
    /// </summary>
    public static double TopTolerance(ScalarType dtype) => 10 * Lanczos.Epsilon(dtype);

    /// <summary>The Lanczos run that found the pairs (it also gives the top eigenvalues).</summary>
    public LanczosRun Run { get; }

    /// <summary>The deflated Ritz values θ_i, largest first.</summary>
    public double[] Values { get; }

    /// <summary>Their residual norms r_i (<see cref="LanczosRun.Ritz()"/>).</summary>
    public double[] Residuals { get; }

    /// <summary>How many pairs are deflated (0 when none had converged).</summary>
    public int Count => Values.Length;

    /// <summary>The pairs' exact share of Tr A: <c>Σ_i θ_i</c> (Tr A = it + Tr(PAP)).</summary>
    public double TraceShare => Values.Sum();

    /// <summary>
    /// Their share of Tr A² = ‖A‖_F²: <c>Σ_i (θ_i² + 2‖P A q_i‖²)</c>, ‖PAq_i‖ taken as the Ritz residual r_i (Tr A² = it + Tr((PAP)²)).
    /// </summary>
    public double SquareShare => Values.Zip(Residuals, (t, r) => t * t + 2 * r * r).Sum();

    /// <summary>
    /// Runs Lanczos on <paramref name="op"/> from <paramref name="start"/> until its top <paramref name="count"/> Ritz pairs' relative
    /// residuals are within <paramref name="rule"/>'s tolerance (or its budget is spent), and keeps those of the top
    /// <paramref name="count"/> (at most P − 1) whose relative residuals are within <see cref="Tolerance"/>, from the largest down to the
    /// first that is not.
    /// </summary>
    public static Deflation Find(ILinearOperator op, int count, StoppingRule rule, Tensor start, IProgress<double>? progress = null)
    {
        if (count < 1) throw new ArgumentException($"deflation needs at least one pair, got {count}");
        // At most P − 1 pairs, so that the starts keep a complement to sample.
        count = (int)Math.Min(count, op.Dimension - 1);
        if (count < 1) throw new ArgumentException($"an operator of dimension {op.Dimension} leaves nothing to deflate");
        var run = Lanczos.Run(op, rule with { MinIterations = Math.Max(rule.MinIterations, count + 1) }, 0, start, progress, r => r.TopRelativeResidual(Math.Min(count, r.Steps)), Keep, out var vectors);
        var (values, _, residuals) = run.Ritz();
        var kept = Keep(run);
        return new Deflation(run, kept.Select(i => values[i]).ToArray(), kept.Select(i => residuals[i]).ToArray(), vectors!);

        int[] Keep(LanczosRun r)
        {
            var (v, _, res) = r.Ritz();
            return Enumerable.Range(0, v.Length).OrderByDescending(i => v[i]).Take(count)
                .TakeWhile(i => res[i] <= Tolerance * Math.Abs(v[i]) && r.Steps > 1).ToArray();
        }
    }

    /// <summary><see cref="Find(ILinearOperator, int, StoppingRule, Tensor, IProgress{double}?)"/> from a Rademacher start drawn with <paramref name="seed"/>.</summary>
    public static Deflation Find(ILinearOperator op, int count, StoppingRule rule, int seed, IProgress<double>? progress = null)
    {
        using var probes = new Probes(op, seed);
        using var start = probes.Rademacher();
        return Find(op, count, rule, start, progress);
    }

    /// <summary>
    /// The bound on <c>|c|</c> for <c>log det(I + A/δ)</c> (and so <c>log det(A + δI)</c>) of a positive semi-definite A deflated by
    /// the pairs (θ_i, r_i): <c>Σ_i r_i² / (δ(δ + θ_i))</c> (see the remarks); 0 without pairs.
    /// </summary>
    public static double LogBias(IReadOnlyList<double> values, IReadOnlyList<double> residuals, double damping) =>
        values.Zip(residuals, (t, r) => r * r / (damping * (damping + Math.Max(t, 0)))).Sum();

    /// <summary><c>(I − QQᵀ) v</c> (each row of a [k, P] block), computed in float64 and returned in <paramref name="dtype"/> (float64 by default; a new tensor).</summary>
    public Tensor Project(Tensor v, ScalarType dtype = ScalarType.Float64)
    {
        using var scope = NewDisposeScope();
        var v64 = v.to(ScalarType.Float64);
        // A vector [P], or a block of rows [k, P]: each row projected.
        var result = Count == 0 ? v64.clone() : v.dim() == 1 ? v64 - vectors.t().mv(vectors.mv(v64)) : v64 - v64.mm(vectors.t()).mm(vectors);
        return result.to(dtype).MoveToOuterDisposeScope();
    }

    /// <summary>The pairs' share of the diagonal, <c>Σ_i θ_i q_i ⊙ q_i</c> = diag(QΘQᵀ), float64 [P] (a new tensor).</summary>
    public Tensor Diagonal()
    {
        using var scope = NewDisposeScope();
        var result = zeros([vectors.shape[1]], ScalarType.Float64, vectors.device);
        for (int i = 0; i < Count; i++) result.add_(vectors[i].to(ScalarType.Float64).square(), alpha: Values[i]);
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>The deflated operator <c>P A P</c> (its products are <paramref name="op"/>'s, counted there).</summary>
    public ILinearOperator Deflate(ILinearOperator op) => new Deflated(op, this);

    /// <inheritdoc />
    public void Dispose() => vectors.Dispose();

    private sealed class Deflated(ILinearOperator op, Deflation deflation) : ILinearOperator
    {
        public long Dimension => op.Dimension;

        public ScalarType DType => op.DType;

        public Device Device => op.Device;

        public long Products => op.Products;

        public Tensor Apply(Tensor v)
        {
            using var scope = NewDisposeScope();
            var product = op.Apply(deflation.Project(v, op.DType));
            return deflation.Project(product, op.DType).MoveToOuterDisposeScope();
        }

        public bool SharesBlocks => op.SharesBlocks;

        public Tensor ApplyBlock(Tensor vectors)
        {
            using var scope = NewDisposeScope();
            var product = op.ApplyBlock(deflation.Project(vectors, op.DType));
            return deflation.Project(product, op.DType).MoveToOuterDisposeScope();
        }
    }
}
