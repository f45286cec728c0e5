namespace Basin.Cli.Infrastructure;

/// <summary>
/// Options that several commands take with one meaning and one default, declared once here so that their names, defaults
/// and help read the same in every command (a test holds them so, and lists the options that share a name but not a meaning).
/// </summary>
internal static class SharedOptions
{
    /// <summary>The curvature estimators' sizes, in <c>measure</c> and <c>spectrum</c>.</summary>
    public static readonly (string, bool, string)[] Curvature =
    [
        ("probes", false, "Rademacher probes for traces, Tr A² and diagonals, one product each (default 32)"),
        ("lanczos-steps", false, "Lanczos steps for the top eigenvalues (default 40; spectrum takes them from its first SLQ start when --slq-steps is at least this)"),
        ("slq-steps", false, "Lanczos steps per stochastic Lanczos quadrature start (default 100, as seed 000)"),
        ("slq-starts", false, "stochastic Lanczos quadrature starts (default 4)"),
        ("seed", false, "seed of the sample and of every probe, start and draw; the same seed gives the same probes for the same matrix in every command (default 0)"),
        ("rtol", false, "precision target: stop each estimator once its relative error is within X, the counts (--probes, --lanczos-steps, --slq-steps, --slq-starts) becoming caps (default 0: run every count, as the papers do)"),
    ];

    /// <summary>The precision target of <c>--rtol</c>, in [0, 1).</summary>
    public static double RelativeTolerance(Arguments args) => args.Has("rtol") ? args.Double("rtol", 0, 0, 0.999) : 0;

    /// <summary>The measured rows, in every command that samples the training split (each writes the rows it used as <c>indices.txt</c>).</summary>
    public static readonly (string, bool, string) Indices =
        ("indices", false, "take exactly these rows of the training split: a file of 0-based row numbers, one per line (e.g. an indices.txt a command wrote); replaces --samples");

    /// <summary>Defaults of <see cref="Curvature"/>.</summary>
    public const int Probes = 32, LanczosSteps = 40, SlqSteps = 100, SlqStarts = 4;

    /// <summary>The Slurm job array's resources, in <c>study</c> and <c>benchmark</c>.</summary>
    public static readonly (string, bool, string)[] Slurm =
    [
        ("slurm", true, "plan, then write slurm.sbatch (a job array, one index per model) into --out and print the sbatch command"),
        ("slurm-cpus", false, "CPUs per task (default 2)"),
        ("slurm-gpus", false, "GPUs per task (default 0; with GPUs the tasks run on CUDA)"),
        ("slurm-time", false, "time limit per task, e.g. 04:00:00 or 1-00:00:00 (default 04:00:00)"),
        ("slurm-partition", false, "partition (default: the cluster's)"),
        ("slurm-mem", false, "memory per task, e.g. 8G (default: the cluster's)"),
    ];
}
