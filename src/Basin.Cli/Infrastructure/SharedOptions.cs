using Basin.Metrics;

namespace Basin.Cli.Infrastructure;

/// <summary>
/// Options that several commands take with one meaning and one default, declared once here so that their names, defaults
/// and help read the same in every command (a test holds them so, and lists the options that share a name but not a meaning).
/// </summary>
internal static class SharedOptions
{
    /// <summary>The library's defaults, the one place they are written.</summary>
    private static readonly MeasureSettings Defaults = new();

    /// <summary>Rademacher probes.</summary>
    public static readonly IntOption Probes = new("probes", "Rademacher probes for traces, Tr A² and diagonals, one product each", Defaults.TraceProbes, 2, 100_000);

    /// <summary>Lanczos steps of the top eigenvalues.</summary>
    public static readonly IntOption LanczosSteps = new("lanczos-steps", "Lanczos steps for the top eigenvalues (default {default}; with --deflate, at most this many in the deflation run that gives them; without, spectrum takes them from its first SLQ start when --slq-steps is at least this)", Defaults.LanczosSteps, 2, 10_000);

    /// <summary>Lanczos steps per SLQ start.</summary>
    public static readonly IntOption SlqSteps = new("slq-steps", "Lanczos steps per stochastic Lanczos quadrature start (default {default}, as seed 000)", Defaults.SlqSteps, 2, 10_000);

    /// <summary>SLQ starts.</summary>
    public static readonly IntOption SlqStarts = new("slq-starts", "stochastic Lanczos quadrature starts", Defaults.SlqStarts, 1, 1000);

    /// <summary>Top Ritz pairs <c>measure</c>'s Hessian and GGN estimators are deflated by (<see cref="MeasureSettings.SlqDeflate"/>).</summary>
    public static readonly IntOption Deflate = new("deflate", "top Ritz pairs the Hessian's and the GGN's estimators are deflated by: one Lanczos run per matrix finds them (and λ₁) to the working precision, and the probes (trace, Tr A², diagonal) and SLQ starts sample only the rest of the spectrum (default {default}: none, as the papers)",
        Defaults.SlqDeflate, 0, 1000);

    /// <summary>The seed of the sample and of every random draw.</summary>
    public static readonly IntOption Seed = new("seed", "seed of the sample and of every probe, start and draw; the same seed gives the same probes for the same matrix in every command", Defaults.Seed, 0);

    /// <summary>The precision target (<see cref="MeasureSettings.RelativeTolerance"/>).</summary>
    public static readonly NumberOption RelativeTolerance = new("rtol", "precision target: stop each estimator once its relative error is within X, the counts (--probes, --lanczos-steps, --slq-steps, --slq-starts) becoming caps",
        Defaults.RelativeTolerance, 0, 0.999, "0: run every count, as the papers do");

    /// <summary>The curvature estimators' sizes, in <c>measure</c> and <c>spectrum</c>.</summary>
    public static readonly (string, bool, string)[] Curvature = [Probes.Declaration, LanczosSteps.Declaration, SlqSteps.Declaration, SlqStarts.Declaration, Deflate.Declaration, Seed.Declaration, RelativeTolerance.Declaration];

    /// <summary>The measured rows, in every command that samples the training split (each writes the rows it used as <c>indices.txt</c>).</summary>
    public static readonly (string, bool, string) Indices =
        ("indices", false, "take exactly these rows of the training split: a file of 0-based row numbers, one per line (e.g. an indices.txt a command wrote); replaces --samples");

    /// <summary>CPUs per Slurm task.</summary>
    public static readonly IntOption SlurmCpus = new("slurm-cpus", "CPUs per task", 2, 1, 1024);

    /// <summary>GPUs per Slurm task.</summary>
    public static readonly IntOption SlurmGpus = new("slurm-gpus", "GPUs per task (default {default}; with GPUs the tasks run on CUDA)", 0, 0, 64);

    /// <summary>The Slurm job array's resources, in <c>study</c> and <c>benchmark</c>.</summary>
    public static readonly (string, bool, string)[] Slurm =
    [
        ("slurm", true, "plan, then write slurm.sbatch (a job array, one index per model) into --out and print the sbatch command"),
        SlurmCpus.Declaration,
        SlurmGpus.Declaration,
        ("slurm-time", false, "time limit per task, e.g. 04:00:00 or 1-00:00:00 (default 04:00:00)"),
        ("slurm-partition", false, "partition (default: the cluster's)"),
        ("slurm-mem", false, "memory per task, e.g. 8G (default: the cluster's)"),
    ];
}
