using Basin.Operators;
using static TorchSharp.torch;

namespace Basin.Estimators;

/// <summary>
/// Stochastic Lanczos quadrature (Golub &amp; Meurant; Ubaru, Chen, Saad 2017; Ghorbani et al. 2019): from
/// each of <c>n_v</c> Rademacher starts v, m Lanczos steps give a Gauss quadrature rule — nodes θ_j (Ritz
/// values) and weights τ_j (squared first components of T's eigenvectors) — with
/// <c>vᵀ f(A) v ≈ ‖v‖² Σ_j τ_j f(θ_j)</c>, exact for polynomials f of degree below 2m.
/// Then <c>Tr f(A) ≈ mean over starts</c>, with the standard error over starts, and the spectral density
/// is <c>(1/n_v) Σ_starts Σ_j τ_j δ(t − θ_j)</c>, Gaussian-broadened for plotting.
/// </summary>
/// <remarks>
/// The standard error over starts measures only the sampling of v. The quadrature itself is truncated
/// at m nodes; Basin estimates that error as the change of the estimate between the first m/2 steps (T's
/// leading block, the rule the same run had at m/2) and all m, and adds it in quadrature to the sampling
/// error: <c>se = √(se_starts² + Δ²)</c>, Δ = |mean over starts of (Q_m − Q_{m/2})|. Where the spectrum has a known
/// lower end and f the derivative signs of a logarithm (<see cref="GaussRadau"/>: log-determinants of the GGN), each start's
/// quadratic form is bracketed instead, between its Gauss–Radau and Gauss rules: the estimate is the bracket's midpoint and Δ
/// the mean half-width, a bound rather than a guess. Given a <see cref="Deflation"/> (the top Ritz pairs of a Lanczos run of the
/// caller's), the starts run on the operator deflated by its pairs and each start's quadrature adds Σ_i f(θ_i).
/// </remarks>
public sealed partial class StochasticLanczosQuadrature
{
    private StochasticLanczosQuadrature(IReadOnlyList<LanczosRun> runs, IReadOnlyList<(double[] Nodes, double[] Weights, double StartNormSquared)> rules,
        IReadOnlyList<(double[] Nodes, double[] Weights, double StartNormSquared)> halfRules, long dimension, long products, int steps, int seed)
    {
        Runs = runs;
        Rules = rules;
        HalfRules = halfRules;
        Dimension = dimension;
        Products = products;
        Steps = steps;
        Seed = seed;
    }

    /// <summary>The Lanczos run of each start (its tridiagonal matrix).</summary>
    public IReadOnlyList<LanczosRun> Runs { get; }

    /// <summary>
    /// The run that gives the top eigenvalues (<see cref="Lanczos.TopEigenvalues(LanczosRun, int, double, int)"/>): the deflation's run,
    /// or the first start's.
    /// </summary>
    public LanczosRun TopRun => DeflationRun ?? Runs[0];

    /// <summary>The Lanczos run that found the deflated pairs (null without deflation); its products are not in <see cref="Products"/>.</summary>
    public LanczosRun? DeflationRun { get; private init; }

    /// <summary>The deflated Ritz values θ_i, largest first (empty without deflation): every start's quadrature adds Σ_i f(θ_i).</summary>
    public IReadOnlyList<double> DeflatedValues { get; private init; } = [];

    /// <summary>Their Ritz residuals r_i.</summary>
    public IReadOnlyList<double> DeflatedResiduals { get; private init; } = [];

    /// <summary>One quadrature rule per start: nodes, weights (summing to 1), and ‖v‖².</summary>
    public IReadOnlyList<(double[] Nodes, double[] Weights, double StartNormSquared)> Rules { get; }

    /// <summary>The same starts' rules from their first ⌈m/2⌉ steps, for the truncation estimate.</summary>
    public IReadOnlyList<(double[] Nodes, double[] Weights, double StartNormSquared)> HalfRules { get; }

    /// <summary>The operator's dimension P.</summary>
    public long Dimension { get; }

    /// <summary>Operator products spent.</summary>
    public long Products { get; }

    /// <summary>Lanczos steps per start (the most any start took, when a stopping rule ended some earlier).</summary>
    public int Steps { get; }

    /// <summary>Why the starts stopped: their tolerance met, their budget, or their time.</summary>
    public EstimateStatus Status { get; private init; } = EstimateStatus.BudgetExhausted;

    /// <summary>Whether a precision target stopped its steps or starts (then its estimates say why they stopped).</summary>
    public bool Adaptive { get; private init; }

    /// <summary>The Lanczos steps each start took.</summary>
    public IReadOnlyList<int> StepsPerStart { get; private init; } = [];

    /// <summary>The seed of the starts.</summary>
    public int Seed { get; }

    /// <summary>A number at or below every eigenvalue of the operator (0 for a positive semi-definite one), when the caller knew one: log-determinants are then bracketed (<see cref="GaussRadau"/>).</summary>
    public double? LowerEnd { get; private init; }

    /// <summary>Runs <paramref name="starts"/> Lanczos processes of <paramref name="steps"/> steps.</summary>
    public static StochasticLanczosQuadrature Run(ILinearOperator op, int steps = 100, int starts = 1, int seed = 0, IProgress<double>? progress = null)
    {
        if (starts < 1) throw new ArgumentException($"SLQ needs at least one start, got {starts}");
        if (steps < 1) throw new ArgumentException($"Lanczos needs at least one step, got {steps}");
        return Run(op, new StoppingRule(steps, MinIterations: 1), new StoppingRule(starts, MinIterations: 1), seed, null, progress);
    }

    /// <summary>
    /// Runs Lanczos processes from Rademacher starts until <paramref name="startRule"/> stops adding them, each stepping until
    /// <paramref name="stepRule"/> stops it. With a target <paramref name="f"/> and a tolerance, a start stops once its quadrature of
    /// f changed by at most the tolerance (relative) from its leading half (the truncation estimate <see cref="Trace(Func{double, double}, string, double?)"/> reports),
    /// and starts stop once the standard error of Tr f(A) over them is within the tolerance (relative); without f, a start stops on
    /// its top Ritz pair's relative residual (the density's right edge) and the starts run to their budget. With
    /// <paramref name="lowerEnd"/> (a number at or below the operator's spectrum, for an f with a logarithm's derivative signs) a start's
    /// truncation is its Gauss–Radau bracket's half-width relative to the bracket's midpoint instead. With <paramref name="deflation"/> (the
    /// caller's, found on <paramref name="op"/>) the starts are projected off its pairs and run on the deflated operator, each adding
    /// Σ_i f(θ_i), and its run gives the top eigenvalues (<see cref="TopRun"/>). Up to <paramref name="together"/> starts run in lock-step
    /// (<see cref="Lanczos.RunTogether"/>: one block product a step, for an operator that shares it; <see cref="Lanczos.Together(int, int, long, int)"/> says how
    /// many bases fit), the same starts and runs as one by one, to rounding.
    /// </summary>
    public static StochasticLanczosQuadrature Run(ILinearOperator op, StoppingRule stepRule, StoppingRule startRule, int seed = 0, Func<double, double>? f = null,
        IProgress<double>? progress = null, double? lowerEnd = null, Deflation? deflation = null, int together = 1)
    {
        startRule.Validate();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var runs = new List<LanczosRun>();
        var rules = new List<(double[], double[], double)>();
        var halfRules = new List<(double[], double[], double)>();
        var traces = new RunningStatistics();
        long products = 0;
        var status = EstimateStatus.BudgetExhausted;
        int starts = startRule.MaxIterations;
        using var probes = new Probes(op, seed);
        var target = deflation?.Deflate(op) ?? op;
        double constant = deflation is null || f is null ? 0 : deflation.Values.Sum(f);
        Func<LanczosRun, double>? change = f is null ? null : r =>
        {
            var (value, change) = StartQuadrature(r, f, lowerEnd);
            return Math.Abs(change) / Math.Max(Math.Abs(value + constant), 1e-300);
        };
        // The starts are drawn in order whether they run alone or together: the same seed gives the same starts either way.
        LanczosRun[] RunGroup(int first, int count)
        {
            using var scope = NewDisposeScope();
            var vectors = Enumerable.Range(0, count).Select(_ =>
            {
                var drawn = probes.Rademacher();
                return deflation?.Project(drawn, op.DType) ?? drawn;
            }).ToArray();
            IProgress<double>? reporter = progress is null ? null : new CallbackProgress<double>(p => progress.Report((first + count * p) / starts));
            return count == 1
                ? [Lanczos.Run(target, stepRule, start: vectors[0], progress: reporter, relativeError: change)]
                : Lanczos.RunTogether(target, stepRule, vectors, change, reporter);
        }
        for (int s = 0; s < starts;)
        {
            // Up to `together` starts in lock-step, as many as the start rule may run before it is read again.
            var groupRuns = RunGroup(s, startRule.AtOnce(s, together));
            bool stopped = false;
            foreach (var run in groupRuns)
            {
                runs.Add(run);
                var (nodes, weights, _) = run.Ritz();
                rules.Add((nodes, weights, run.StartNorm * run.StartNorm));
                var (halfNodes, halfWeights, _) = run.Ritz((run.Steps + 1) / 2);
                halfRules.Add((halfNodes, halfWeights, run.StartNorm * run.StartNorm));
                products += run.Products;
                if (f is not null) traces.Add(StartQuadrature(run, f, lowerEnd).Value + constant);
                double error = f is null ? double.PositiveInfinity : traces.RelativeError;
                s++;
                if (s < starts && startRule.Check(s, error, clock) is { } stop)
                {
                    status = stop;
                    stopped = true;
                    break;
                }
                if (s == starts) status = startRule.RelativeTolerance > 0 && error <= startRule.RelativeTolerance ? EstimateStatus.Converged : EstimateStatus.BudgetExhausted;
            }
            if (stopped) break;
        }
        // Without a tolerance the steps are the budget asked for (what the settings have always said); with one, the most a start took.
        bool adaptive = stepRule.RelativeTolerance > 0 || startRule.RelativeTolerance > 0;
        int steps = stepRule.RelativeTolerance > 0 ? runs.Max(r => r.Steps) : stepRule.MaxIterations;
        // Converged only if the starts met their target and every start's quadrature met its own: more starts cannot fix truncation.
        if (status == EstimateStatus.Converged && stepRule.RelativeTolerance > 0 && runs.Any(r => r.Status != EstimateStatus.Converged)) status = EstimateStatus.BudgetExhausted;
        return new StochasticLanczosQuadrature(runs, rules, halfRules, op.Dimension, products, steps, seed)
        {
            Status = status, StepsPerStart = runs.Select(r => r.Steps).ToArray(), Adaptive = adaptive, LowerEnd = lowerEnd,
            DeflationRun = deflation?.Run, DeflatedValues = deflation?.Values ?? [], DeflatedResiduals = deflation?.Residuals ?? [],
        };
    }

    /// <summary>
    /// <c>Tr f(A)</c> with its error: over starts, and from truncating the quadrature (see the remarks), added
    /// in quadrature; <see cref="Estimate.Truncation"/> holds the truncation part. NaN with a single start.
    /// With <paramref name="lowerEnd"/> (at or below the spectrum; f with a logarithm's derivative signs, the caller's promise) each
    /// start's Gauss–Radau bracket gives its value and truncation (<see cref="GaussRadau"/>).
    /// </summary>
    public Estimate Trace(Func<double, double> f, string name = "f", double? lowerEnd = null) => Trace(f, name, lowerEnd, 0);

    /// <summary><see cref="Trace(Func{double, double}, string, double?)"/> with a bound on the deflation's bias added to the truncation.</summary>
    private Estimate Trace(Func<double, double> f, string name, double? lowerEnd, double deflationBias)
    {
        double constant = DeflatedValues.Sum(f);
        // Each start's bracket computed once; used only if every start has one: one rule of error for the whole estimate.
        var brackets = Runs.Select(r => lowerEnd is { } a ? GaussRadau.Bracket(r, f, a) : null).ToArray();
        bool bracketed = lowerEnd is not null && brackets.All(b => b is not null);
        var stats = new RunningStatistics();
        var change = new RunningStatistics();
        for (int s = 0; s < Rules.Count; s++)
        {
            var (value, startChange) = bracketed ? Midpoint(brackets[s]!.Value) : Gauss(Rules[s], HalfRules[s], f);
            stats.Add(value + constant);
            change.Add(startChange);
        }
        double truncation = Math.Abs(change.Mean) + deflationBias;
        double error = Rules.Count > 1 ? Math.Sqrt(stats.StandardError * stats.StandardError + truncation * truncation) : double.NaN;
        var settings = Estimate.With(("estimator", "slq"), ("function", name), ("steps", Steps), ("starts", Rules.Count), ("seed", Seed),
            ("error", bracketed ? "starts and truncation (Gauss–Radau bracket, half-width)" : "starts and truncation (m/2 → m)"));
        if (Adaptive) settings = new Dictionary<string, string>(settings) { ["stopped"] = Status.ToString(), ["steps_per_start"] = string.Join(" ", StepsPerStart) };
        if (DeflationRun is { } top) settings = new Dictionary<string, string>(settings) { ["deflated"] = $"{DeflatedValues.Count} pairs from {top.Steps} steps" };
        return new Estimate(stats.Mean, error, Products, Rules.Count, Status, settings)
        {
            Truncation = truncation,
        };
    }

    /// <summary>
    /// <c>log det(A + δI)</c> = <c>Tr log(A + δI)</c>; bracketed per start where the run was given its spectrum's lower end (<see cref="LowerEnd"/>).
    /// </summary>
    /// <exception cref="ArithmeticException">A node of A + δI is not positive: A is not positive definite enough for this damping (use the GGN or a larger δ).</exception>
    public Estimate LogDeterminant(double damping) => Damped(damping, t => Math.Log(t + damping), $"log(t + {damping:G3})");

    /// <summary>
    /// <c>log det(I + A/δ)</c> = <c>Tr log(1 + A/δ)</c> = <c>log det(A + δI) − P ln δ</c>: the part of the damped
    /// log-determinant that depends on A (the offset P ln δ swamps it when δ is small); bracketed as <see cref="LogDeterminant"/>.
    /// </summary>
    /// <exception cref="ArithmeticException">A node of A + δI is not positive.</exception>
    public Estimate RelativeLogDeterminant(double damping) => Damped(damping, t => Math.Log(1 + t / damping), $"log(1 + t / {damping:G3})");

    private Estimate Damped(double damping, Func<double, double> f, string name)
    {
        double min = Rules.Min(r => r.Nodes.Min()) + damping;
        if (!(min > 0)) throw new ArithmeticException($"log-determinant of A + {damping:G3}·I: a Ritz value is {min:G3} ≤ 0 (the matrix is not positive definite; use the GGN or a larger damping)");
        var estimate = Trace(f, name, LowerEnd, Deflation.LogBias(DeflatedValues, DeflatedResiduals, damping));
        return estimate with { Settings = new Dictionary<string, string>(estimate.Settings) { ["damping"] = damping.ToString("G6", System.Globalization.CultureInfo.InvariantCulture) } };
    }
}
