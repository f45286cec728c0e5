namespace Basin.Metrics;

/// <summary>
/// Every setting the metrics use, with the defaults of <c>shared/spec/metrics.md</c> where it fixes
/// them and budget-minded ones where it does not. Reported with each result.
/// </summary>
public sealed record MeasureSettings
{
    /// <summary>Seed of every probe, subset, draw and perturbation.</summary>
    public int Seed { get; init; }

    /// <summary>Streaming batch size for passes over the measured samples.</summary>
    public int BatchSize { get; init; } = 4096;

    /// <summary>Rademacher probes for traces, Tr A² and the Hutchinson diagonal (shared by all three).</summary>
    public int TraceProbes { get; init; } = 32;

    /// <summary>Use Hutch++ for the traces instead of Hutchinson.</summary>
    public bool HutchPlusPlus { get; init; }

    /// <summary>Lanczos steps for the top eigenvalue.</summary>
    public int LanczosSteps { get; init; } = 40;

    /// <summary>SLQ steps and starts for the log-determinant and the density (seed 000: m = 100 steps).</summary>
    public int SlqSteps { get; init; } = 100;

    /// <inheritdoc cref="SlqSteps"/>
    public int SlqStarts { get; init; } = 4;

    /// <summary>
    /// Top Ritz pairs the Hessian's and the GGN's estimators are deflated by (<see cref="DeflationInput"/>): a Lanczos run of at most
    /// <see cref="DeflationSteps"/> steps finds them (and gives λ₁), and the probes and SLQ starts sample the rest of the spectrum. 0 (the
    /// default, and every study saved before it existed): none — on the README MLP's GGN log-determinant it saved few products at equal
    /// error (docs/benchmarks.md, 2026-12-04).
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
    public int SlqDeflate { get; init; }

    /// <summary>The cap on a deflation run's steps: λ₁'s Lanczos steps, since that run gives λ₁ (it stops once its pairs converged).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int DeflationSteps => LanczosSteps;

    /// <summary>The stopping rule of a deflation run on an operator of <paramref name="dtype"/>: its pairs to <see cref="Estimators.Deflation.TopTolerance"/>, at most <see cref="DeflationSteps"/>.</summary>
    public Estimators.StoppingRule DeflationRule(TorchSharp.torch.ScalarType dtype) => new(DeflationSteps, Estimators.Deflation.TopTolerance(dtype), MinIterations: SlqDeflate + 1);

    /// <summary>Damping δ of log|G + δI|.</summary>
    public double Damping { get; init; } = 1e-4;

    /// <summary>
    /// Mini-batch size and probes of the Laplace metric "a". Seed 000 uses one probe ("the cost of one SGD
    /// step"); Basin's default is 8, so that "a" carries a standard error (one probe has none).
    /// </summary>
    public int LaplaceBatch { get; init; } = 128;

    /// <inheritdoc cref="LaplaceBatch"/>
    public int LaplaceProbes { get; init; } = 8;

    /// <summary>Use the GGN instead of the Hessian in the Laplace metric "a".</summary>
    public bool LaplaceGgn { get; init; }

    /// <summary>Prior variance σ_p² of the Laplace metrics.</summary>
    public double PriorVariance { get; init; } = 1;

    /// <summary>Subset size N′ and number of subsets T of the Fisher metrics (seed 001: 100 and 100).</summary>
    public int FisherSubsetSize { get; init; } = 100;

    /// <inheritdoc cref="FisherSubsetSize"/>
    public int FisherSubsets { get; init; } = 100;

    /// <summary>
    /// How <c>fisher.frobenius_sq</c> and <c>fisher.spectral_radius</c> are estimated: unbiased for the measured
    /// set (the U-statistic over subsets; Lanczos on the empirical Fisher of all measured samples) by default,
    /// or the seed 001 subset forms, which are biased upward (spec revision of 2026-11-25).
    /// </summary>
    /// <remarks>Left out of the JSON form when it is the default, so that studies saved before it existed re-report byte for byte.</remarks>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
    public FisherNormForm FisherNorms { get; init; } = FisherNormForm.Unbiased;

    /// <summary>Eigenvalue floor ε for singular Gram matrices ξ_t.</summary>
    public double GramFloor { get; init; } = 1e-30;

    /// <summary>Probes and relative step of the finite-difference diagonal (seed 004: 16 probes, r = 1e-3·‖W‖_F/√numel).</summary>
    public int FiniteDifferenceProbes { get; init; } = 16;

    /// <inheritdoc cref="FiniteDifferenceProbes"/>
    public double FiniteDifferenceStep { get; init; } = 1e-3;

    /// <summary>Which Hessian diagonal <c>hessian.diagonal</c> uses.</summary>
    public DiagonalEstimator Diagonal { get; init; } = DiagonalEstimator.Hutchinson;

    /// <summary>
    /// The non-negative curvature diagonal h of pacGen and seed 003's bounds: the exact GGN diagonal by default
    /// (metrics.md, revised 2026-11-25: a Hutchinson Hessian diagonal was 47% negative on a trained MLP, which
    /// made Ψ noise). Studies saved before 2026-12-01 have no such key and used <see cref="Diagonal"/>.
    /// </summary>
    public DiagonalEstimator PacGenDiagonal { get; init; } = DiagonalEstimator.Ggn;

    /// <summary>
    /// Perturbations u of pacGen's ρ (each one diagonal at w + u): pacgen and seed 003's bounds report the mean over
    /// them with its standard error. Null in studies saved before 2026-12-01, which used one (and so carry no error).
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public int? PacGenPerturbations { get; init; } = 3;

    /// <summary>The number of ρ perturbations in force (<see cref="PacGenPerturbations"/>, 1 for an old study).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int PacGenPerturbationCount => PacGenPerturbations ?? 1;

    /// <summary>
    /// Starts of Keskar's ascent: z = 0, then uniform draws in the box; the metric is the largest loss found, its error the
    /// spread of the starts' maxima. Null in studies saved before 2026-12-01 (one start, no error).
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public int? KeskarRestarts { get; init; } = 3;

    /// <summary>The number of Keskar starts in force (<see cref="KeskarRestarts"/>, 1 for an old study).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int KeskarStartCount => KeskarRestarts ?? 1;

    /// <summary>Keskar sharpness: box size ε and projected-ascent steps (seed 002/003 defaults 1e-3 and 20).</summary>
    public double KeskarEpsilon { get; init; } = 1e-3;

    /// <inheritdoc cref="KeskarEpsilon"/>
    public int KeskarSteps { get; init; } = 20;

    /// <summary>Expected sharpness: Monte-Carlo draws and σ (σ_i = σ₀ + α|w_i| with α = <see cref="ExpectedSharpnessAlpha"/>).</summary>
    public int ExpectedSharpnessDraws { get; init; } = 32;

    /// <inheritdoc cref="ExpectedSharpnessDraws"/>
    public double ExpectedSharpnessSigma { get; init; } = 0.01;

    /// <inheritdoc cref="ExpectedSharpnessDraws"/>
    public double ExpectedSharpnessAlpha { get; init; }

    /// <summary>pacGen's γ and ε (seed 003: 0.1 and 0.1).</summary>
    public double PacGenGamma { get; init; } = 0.1;

    /// <inheritdoc cref="PacGenGamma"/>
    public double PacGenEpsilon { get; init; } = 0.1;

    /// <summary>Confidence δ of the PAC-Bayes bounds.</summary>
    public double BoundDelta { get; init; } = 0.05;

    /// <summary>Volume V of the level set in the Fisher bound (seed 001 Theorem 1; a free hyper-parameter).</summary>
    public double FisherBoundVolume { get; init; } = 1;

    /// <summary>
    /// The precision asked for, as a relative error. 0 (the default) runs every estimator to its count, as the papers do; a positive
    /// target stops each once its own error is within it, the counts becoming caps (<see cref="Rule"/>): the Hessian and GGN probes on
    /// the larger relative standard error of Tr A and Tr A² (the Hutchinson diagonal shares whatever probes they took), the
    /// stand-alone diagonals on ‖se‖/‖diag‖, Hutch++ on its complement's, Lanczos on λ₁'s relative residual, each SLQ start on its
    /// quadrature's change from its leading half (of log(1 + t/δ): the log-determinant's function, and the density's, which weighs
    /// the bulk and the outliers alike), and SLQ's starts on the relative standard error of that trace over them.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
    public double RelativeTolerance { get; init; }

    /// <summary>
    /// The least an estimator spends under a precision target before its error is trusted: 8 probes (a standard error from fewer is
    /// itself too noisy to stop on), 10 Lanczos steps per SLQ start, 3 starts (a standard error over 2 has one degree of freedom),
    /// 5 Lanczos steps for λ₁ (its residual is a bound, not an estimate).
    /// </summary>
    public static (int Probes, int SlqSteps, int SlqStarts, int LanczosSteps) Minimums { get; } = (8, 10, 3, 5);

    /// <summary>
    /// The least the estimators may spend under <see cref="RelativeTolerance"/>: the counts a target can stop early (probes, Lanczos
    /// steps, SLQ steps and starts) at their <see cref="Minimums"/>, or the count where it is smaller; without a target, these settings.
    /// The cost preview gives the time of these and of the counts as the range a target can land in.
    /// </summary>
    public MeasureSettings AtMinimums() => RelativeTolerance > 0
        ? this with
        {
            TraceProbes = Math.Min(TraceProbes, Minimums.Probes),
            LanczosSteps = Math.Min(LanczosSteps, Minimums.LanczosSteps),
            SlqSteps = Math.Min(SlqSteps, Minimums.SlqSteps),
            SlqStarts = Math.Min(SlqStarts, Minimums.SlqStarts),
        }
        : this;

    /// <summary>The stopping rule of an estimator capped at <paramref name="count"/> under <see cref="RelativeTolerance"/>, spending at least <paramref name="minimum"/> (or the count).</summary>
    public Estimators.StoppingRule Rule(int count, int minimum) => new(count, RelativeTolerance, MinIterations: Math.Min(count, minimum));

    /// <summary>Throws <see cref="ArgumentException"/> with one clear line for the first bad setting.</summary>
    public void Validate()
    {
        if (BatchSize < 1 || TraceProbes < 2 || LanczosSteps < 2 || SlqSteps < 2 || SlqStarts < 1 || LaplaceBatch < 1 || LaplaceProbes < 1)
            throw new ArgumentException("batch size, probes (≥ 2), Lanczos and SLQ steps (≥ 2) and starts must be positive");
        if (FisherSubsetSize < 2 || FisherSubsets < 1) throw new ArgumentException("Fisher subsets need N′ ≥ 2 and T ≥ 1");
        if (SlqDeflate < 0 || SlqDeflate > 1000) throw new ArgumentException($"the SLQ deflation must be between 0 and 1000 pairs, got {SlqDeflate}");
        if (PacGenPerturbationCount < 1 || PacGenPerturbationCount > 1000 || KeskarStartCount < 1 || KeskarStartCount > 1000)
            throw new ArgumentException("pacGen perturbations and Keskar starts must be between 1 and 1000");
        if (!(Damping > 0) || !(PriorVariance > 0) || !(KeskarEpsilon > 0) || !(ExpectedSharpnessSigma >= 0) || !(BoundDelta > 0 && BoundDelta < 1))
            throw new ArgumentException("damping, prior variance and ε must be positive, σ ≥ 0, and 0 < δ < 1");
        if (!(RelativeTolerance >= 0 && RelativeTolerance < 1)) throw new ArgumentException($"the relative tolerance must be in [0, 1) (0: run every estimator to its count), got {RelativeTolerance}");
        if (!Enum.IsDefined(Diagonal) || !Enum.IsDefined(PacGenDiagonal)) throw new ArgumentException($"unknown diagonal estimator {(int)Diagonal}");
    }

    /// <summary>
    /// The settings with every count scaled by <paramref name="factor"/> ≤ 1, to fit a time budget: SLQ loses
    /// starts first (down to 2), then steps (not below 20: the log-determinant's Gauss–Radau bracket reports what the
    /// quadrature then leaves unresolved); Lanczos keeps at least 20 steps, the probes at least 8 (4 for the Laplace metric);
    /// the Fisher subsets at least 10, Keskar's ascent 5 steps and 2 starts, pacGen 2 perturbations (2: a spread for its
    /// error), the weight draws 8, the finite-difference probes 4. The standard errors then grow as they should.
    /// </summary>
    /// <exception cref="ArgumentException">A factor that is not positive.</exception>
    public MeasureSettings Scaled(double factor)
    {
        if (!(factor > 0)) throw new ArgumentException($"a scale factor must be positive, got {factor}");
        if (factor >= 1) return this;
        static int Floor(int value, double f, int floor) => Math.Min(value, Math.Max(floor, (int)(value * f)));
        long slq = (long)Math.Max(1, SlqSteps * (long)SlqStarts * factor);
        int starts = SlqStarts, steps = SlqSteps;
        while (starts > Math.Min(2, SlqStarts) && (long)starts * steps > slq) starts--;
        if ((long)starts * steps > slq) steps = Floor(steps, (double)slq / ((long)starts * steps), 20);
        return this with
        {
            TraceProbes = Floor(TraceProbes, factor, 8),
            FisherSubsets = Floor(FisherSubsets, factor, 10),
            KeskarSteps = Floor(KeskarSteps, factor, 5),
            KeskarRestarts = KeskarRestarts is { } restarts ? Floor(restarts, factor, 2) : null,
            PacGenPerturbations = PacGenPerturbations is { } perturbations ? Floor(perturbations, factor, 2) : null,
            ExpectedSharpnessDraws = Floor(ExpectedSharpnessDraws, factor, 8),
            FiniteDifferenceProbes = Floor(FiniteDifferenceProbes, factor, 4),
            LanczosSteps = Floor(LanczosSteps, factor, 20),
            LaplaceProbes = Floor(LaplaceProbes, factor, 4),
            SlqStarts = starts,
            SlqSteps = steps,
        };
    }

    /// <summary>The seed of one random stream of the measurement.</summary>
    public int SeedFor(SeedStream stream) => Seed + (int)stream;

    /// <summary>The seed of the Fisher metrics' subset <paramref name="t"/>.</summary>
    public int FisherSubsetSeed(int t) => Seed * 1000 + t;
}
