using System.Globalization;
using System.Text;
using Basin.Estimators;
using Basin.IO;
using Basin.Metrics;
using Basin.Operators;
using Basin.Studies.Plotting;

namespace Basin.Studies;

/// <summary>How a spectrum is measured.</summary>
/// <param name="Top">How many of the largest eigenvalues (Lanczos).</param>
/// <param name="LanczosSteps">Lanczos steps for the top eigenvalues.</param>
/// <param name="TraceProbes">Rademacher probes for Tr and Tr A² (8: deflated, they sample only the rest of the spectrum).</param>
/// <param name="SlqSteps">Lanczos steps per SLQ start (50: deflated, the density at the plot's resolution is that of seed 000's 100 undeflated steps).</param>
/// <param name="SlqStarts">SLQ starts n_v.</param>
/// <param name="Seed">Seed of every probe and start.</param>
/// <param name="RelativeTolerance">
/// A precision target (<see cref="MeasureSettings.RelativeTolerance"/>): 0 runs every count; a positive value stops the probes on
/// the trace's relative standard error, SLQ's steps and starts on log(1 + |t|/δ) as <c>measure</c> does, and the top eigenvalues on
/// their relative residuals, the counts becoming caps.
/// </param>
/// <param name="HutchPlusPlus">Tr and Tr A² by Hutch++ on the same products (<see cref="Estimators.HutchPlusPlus.TraceAndTraceOfSquare"/>), not (deflated) Hutchinson.</param>
/// <param name="Deflate">
/// Top Ritz pairs to deflate by (<see cref="Deflation"/>; 0: none, as seed 000): a Lanczos run of at most <see cref="DeflationSteps"/> steps
/// finds them to the working precision and gives the top eigenvalues; the probes and the SLQ starts then run on the rest of the spectrum.
/// The defaults (10 pairs, 8 probes, 50 steps) give the errors of 32 probes and 100 undeflated steps, or smaller, for 45% of the
/// products (LeNet-5 and the README MLP, docs/benchmarks.md, 2026-12-04).
/// </param>
public sealed record SpectrumSettings(int Top = 5, int LanczosSteps = 40, int TraceProbes = 8, int SlqSteps = 50, int SlqStarts = 4, int Seed = 0,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)] double RelativeTolerance = 0,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)] bool HutchPlusPlus = false,
    int Deflate = 10)
{
    /// <summary>The cap on the deflation run's steps: the top eigenvalues' Lanczos steps, since that run gives them (it stops earlier once its pairs converged).</summary>
    public int DeflationSteps => LanczosSteps;

    /// <summary>Throws <see cref="ArgumentException"/> for out-of-range settings.</summary>
    public void Validate()
    {
        if (Top < 1) throw new ArgumentException($"--top must be positive, got {Top}");
        if (LanczosSteps <= Top) throw new ArgumentException($"Lanczos needs more steps ({LanczosSteps}) than eigenvalues asked for ({Top})");
        if (TraceProbes < MinimumProbes) throw new ArgumentException($"at least {MinimumProbes} trace probes are needed{(HutchPlusPlus ? " by Hutch++" : "")}, got {TraceProbes}");
        if (SlqSteps < 2 || SlqStarts < 1) throw new ArgumentException("SLQ needs at least 2 steps and 1 start");
        if (Deflate < 0) throw new ArgumentException($"--deflate must be 0 or more, got {Deflate}");
        if (!(RelativeTolerance >= 0 && RelativeTolerance < 1)) throw new ArgumentException($"--rtol must be in [0, 1), got {RelativeTolerance}");
    }

    /// <summary>The fewest products for Tr and Tr A²: 2 probes, or Hutch++'s 6 (a sketch, its products and complement probes, 2 each).</summary>
    public int MinimumProbes => HutchPlusPlus ? 6 : 2;

    /// <summary>
    /// Whether the top eigenvalues come from the first SLQ start's Lanczos run instead of a run of their own: when it has at
    /// least <see cref="LanczosSteps"/> steps it is the same algorithm from a random start, carried further, so a separate
    /// run would only spend its products again.
    /// </summary>
    public bool TopFromSlq => LanczosSteps <= SlqSteps || Deflate > 0;

    /// <summary>The operator products these settings spend: the Lanczos steps (unless <see cref="TopFromSlq"/>), one per probe (Tr A and Tr A² share them), SLQ steps × starts.</summary>
    public long Products => (TopFromSlq ? 0 : LanczosSteps) + (Deflate > 0 ? DeflationSteps : 0) + (long)TraceProbes + (long)SlqSteps * SlqStarts;

    /// <summary>The probes Tr and Tr A² take at least: <see cref="MinimumProbes"/>, and under a precision target <see cref="MeasureSettings.Minimums"/>' 8 (a standard error from fewer is too noisy to stop on).</summary>
    public int ProbeMinimum => Math.Max(MinimumProbes, RelativeTolerance > 0 ? MeasureSettings.Minimums.Probes : 2);

    /// <summary>The deflation run's least steps: one more than the pairs it deflates by or the eigenvalues it gives, whichever is more.</summary>
    public int DeflationMinimumSteps => Math.Max(Top, Deflate) + 1;

    /// <summary>
    /// The fewest products a precision target lets these settings spend: the deflation run's pairs and one step more, the probes'
    /// minimum (8, or the count), SLQ's minimum steps and starts (10 and 3), and the top eigenvalues from the first SLQ start where they may
    /// come from it (<see cref="MeasureSettings.Minimums"/>); without a target, <see cref="Products"/>.
    /// </summary>
    public long LeastProducts
    {
        get
        {
            if (RelativeTolerance == 0) return Products;
            var minimums = MeasureSettings.Minimums;
            return (TopFromSlq ? 0 : Math.Min(LanczosSteps, minimums.LanczosSteps)) + (Deflate > 0 ? Math.Min(DeflationSteps, DeflationMinimumSteps) : 0)
                + Math.Min(TraceProbes, ProbeMinimum) + (long)Math.Min(SlqSteps, minimums.SlqSteps) * Math.Min(SlqStarts, minimums.SlqStarts);
        }
    }

    /// <summary>What the products go to, in words.</summary>
    public string Plan() =>
        $"{(RelativeTolerance > 0 ? $"{LeastProducts} to " : "")}{Products} products ({(TopFromSlq ? "" : $"Lanczos {LanczosSteps}, ")}{(HutchPlusPlus ? "Hutch++" : "Hutchinson")} {TraceProbes} for Tr and Tr A², SLQ {SlqStarts}×{SlqSteps}"
        + (Deflate > 0 ? $", deflated by up to {Deflate} pairs from at most {DeflationSteps} steps, which give the top eigenvalues" : TopFromSlq ? "; the top eigenvalues from the first SLQ start" : "") + ")"
        + (RelativeTolerance > 0 ? $"; each stops at a relative error of {RelativeTolerance:G3}" : "");

    /// <summary>
    /// The settings with every count scaled by <paramref name="factor"/> ≤ 1 (to fit a time budget), keeping what the
    /// estimators need: Lanczos more steps than eigenvalues, 2 probes, 2 SLQ steps and one start; SLQ loses starts
    /// before steps, down to 2 starts, since its truncation error grows fast with fewer steps.
    /// </summary>
    public SpectrumSettings Scaled(double factor)
    {
        if (!(factor > 0)) throw new ArgumentException($"a scale factor must be positive, got {factor}");
        if (factor >= 1) return this;
        // SLQ takes what the Lanczos run (when it is spent) and the probes leave of the scaled total, so their floors come out of its share.
        int lanczos = Math.Max(Top + 1, (int)(LanczosSteps * factor)), probes = Math.Max(MinimumProbes, (int)(TraceProbes * factor));
        long slq = Math.Max(2, (long)(Products * factor) - (TopFromSlq && Deflate == 0 ? 0 : lanczos) - probes);
        int starts = SlqStarts, steps = SlqSteps;
        while (starts > Math.Min(2, SlqStarts) && (long)starts * steps > slq) starts--;
        if ((long)starts * steps > slq) steps = (int)Math.Max(2, slq / starts);
        return this with
        {
            LanczosSteps = lanczos,
            TraceProbes = probes,
            SlqStarts = starts,
            SlqSteps = steps,
        };
    }
}

/// <summary>The top eigenvalues, trace, Tr A² and spectral density of one curvature operator.</summary>
public sealed record SpectrumReport(
    string Matrix, long Dimension, long Samples, EigenEstimate Top, Estimate Trace, Estimate TraceOfSquare,
    StochasticLanczosQuadrature Density, double Seconds, SpectrumSettings Settings)
{
    /// <summary>
    /// Measures <paramref name="op"/>; <paramref name="progress"/> gets the stage and the fraction of the whole run done. The
    /// probes, SLQ starts and Lanczos start draw from <c>basin measure</c>'s seed streams (<see cref="SeedStream"/>) for the
    /// same matrix, so the same <c>--seed</c> on the same samples gives the same Tr A in both commands; <paramref name="kind"/>
    /// picks the matrix's streams.
    /// </summary>
    public static SpectrumReport Measure(string matrix, ILinearOperator op, long samples, SpectrumSettings settings, Action<string, double>? progress = null, CurvatureMatrix kind = CurvatureMatrix.Hessian)
    {
        var (probeStream, spectrumStream) = kind switch
        {
            CurvatureMatrix.Ggn => (SeedStream.GgnProbes, SeedStream.GgnSpectrum),
            CurvatureMatrix.Fisher => (SeedStream.FisherProbes, SeedStream.FisherSpectrum),
            _ => (SeedStream.HessianProbes, SeedStream.HessianSpectrum),
        };
        settings.Validate();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        double total = settings.Products;
        // One progress over the whole run: each stage's fraction is weighted by its share of the products.
        IProgress<double> Stage(string name, double before, double count) => new CallbackProgress<double>(p => progress?.Invoke(name, (before + p * count) / total));
        var targets = new MeasureSettings { RelativeTolerance = settings.RelativeTolerance };
        var minimums = MeasureSettings.Minimums;
        var probeRule = targets.Rule(settings.TraceProbes, settings.ProbeMinimum);
        // With deflation, its run comes first: its pairs serve the probes (on the complement), the density and the top eigenvalues.
        using var deflation = settings.Deflate > 0 && op.Dimension > 1
            ? Deflation.Find(op, settings.Deflate, new StoppingRule(settings.DeflationSteps, Deflation.TopTolerance(op.DType), MinIterations: settings.DeflationMinimumSteps),
                settings.Seed + (int)SeedStream.TopEigenvalue, Stage("deflation (Lanczos)", 0, settings.DeflationSteps))
            : null;
        double done = settings.Deflate > 0 ? settings.DeflationSteps : 0;
        var probeStage = Stage("Tr, Tr A² (Hutchinson)", done, settings.TraceProbes);
        var (trace, square) = settings.HutchPlusPlus
            ? HutchPlusPlus.TraceAndTraceOfSquare(op, probeRule, settings.Seed + (int)probeStream)
            : deflation is not null
            ? Hutchinson.TraceAndTraceOfSquare(op, deflation, probeRule, settings.Seed + (int)probeStream, probeStage)
            : Hutchinson.TraceAndTraceOfSquare(op, probeRule, settings.Seed + (int)probeStream, probeStage);
        var slq = StochasticLanczosQuadrature.Run(op, targets.Rule(settings.SlqSteps, minimums.SlqSteps), targets.Rule(settings.SlqStarts, minimums.SlqStarts),
            settings.Seed + (int)spectrumStream, t => Math.Log(1 + Math.Abs(t) / targets.Damping), Stage("density (SLQ)", done + settings.TraceProbes, (double)settings.SlqSteps * settings.SlqStarts),
            deflation: deflation, together: Lanczos.Together(op, settings.SlqStarts, settings.SlqSteps));
        // Under a target the first start's run serves the top eigenvalues only if it already resolved them to it.
        bool fromSlq = settings.TopFromSlq && (settings.RelativeTolerance == 0 || slq.TopRun.TopRelativeResidual(Math.Min(settings.Top, slq.TopRun.Steps)) <= settings.RelativeTolerance);
        var topStage = Stage("top eigenvalues (Lanczos)", total - settings.LanczosSteps, settings.LanczosSteps);
        var top = fromSlq
            ? Lanczos.TopEigenvalues(slq.TopRun, settings.Top, seed: settings.Seed + (int)spectrumStream)
            : settings.RelativeTolerance > 0
            ? Lanczos.TopEigenvalues(op, settings.Top, targets.Rule(settings.LanczosSteps, minimums.LanczosSteps), settings.Seed + (int)SeedStream.TopEigenvalue, topStage)
            : Lanczos.TopEigenvalues(op, settings.Top, settings.LanczosSteps, seed: settings.Seed + (int)SeedStream.TopEigenvalue, progress: topStage);
        return new SpectrumReport(matrix, op.Dimension, samples, top, trace, square, slq, clock.Elapsed.TotalSeconds, settings);
    }

    /// <summary>A grid spanning the SLQ nodes with a margin, and the broadening width used on it.</summary>
    public (double[] Grid, double Sigma) DensityGrid(int points = 1000) => StochasticLanczosQuadrature.Grid(Density.Nodes().Select(n => n.Node), points);

    /// <summary>
    /// Writes <c>spectrum.csv</c> (grid, density), <c>spectrum-nodes.csv</c>, the log-scale plot (<c>spectrum.png</c>,
    /// <c>spectrum.svg</c>), given <paramref name="indices"/> <c>indices.txt</c> (the measured rows, one per line), and given
    /// <paramref name="summary"/> <c>spectrum.json</c> into <paramref name="target"/>, all or none.
    /// </summary>
    public void Write(string target, IReadOnlyList<long>? indices = null, string? summary = null)
    {
        // All four files or none (a full disk used to leave the CSVs without the plots).
        using var stage = new StagedFolder(target);
        string folder = stage.Stage;
        var (grid, sigma) = DensityGrid();
        var density = Density.Density(grid, sigma);
        var csv = new StringBuilder("eigenvalue,density\n");
        for (int i = 0; i < grid.Length; i++) csv.Append(F(grid[i])).Append(',').Append(F(density[i])).Append('\n');
        AtomicFile.WriteAllText(Path.Combine(folder, "spectrum.csv"), csv.ToString());
        var nodes = new StringBuilder("start,node,weight\n");
        foreach (var (start, node, weight) in Density.Nodes()) nodes.Append(start).Append(',').Append(F(node)).Append(',').Append(F(weight)).Append('\n');
        AtomicFile.WriteAllText(Path.Combine(folder, "spectrum-nodes.csv"), nodes.ToString());
        new LinePlot($"{Matrix} spectral density (SLQ, {Settings.SlqStarts}×{Settings.SlqSteps} steps{(Density.DeflatedValues.Count > 0 ? $", top {Density.DeflatedValues.Count} deflated" : "")}, P = {Dimension:N0})", "eigenvalue", "density (log scale)", logY: true)
            .Add(new Series(Matrix, grid, density))
            .Save(Path.Combine(folder, "spectrum"));
        if (summary is not null) AtomicFile.WriteAllText(Path.Combine(folder, "spectrum.json"), summary);
        if (indices is not null) AtomicFile.WriteAllText(Path.Combine(folder, "indices.txt"), Data.DataTransforms.IndicesText(indices));
        stage.Commit();
    }

    private static string F(double x) => x.ToString("G9", CultureInfo.InvariantCulture);
}
