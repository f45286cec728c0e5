namespace Basin.Cli.Infrastructure;

/// <summary>What each option's value is, as help shows it (<c>--samples &lt;N&gt;</c>, <c>--out &lt;DIR&gt;</c>): one table for every command, so one option reads the same everywhere.</summary>
internal static class Placeholders
{
    private static readonly Dictionary<string, string[]> ByKind = new()
    {
        ["N"] = ["samples", "probes", "lanczos-steps", "slq-steps", "slq-starts", "deflate", "epochs", "batch-size", "top", "points", "seeds", "subset", "fisher-subsets", "laplace-probes", "mc-draws", "swa-start", "threads", "slurm-cpus", "slurm-gpus", "task", "output"],
        ["INT"] = ["seed"],
        ["GB"] = ["max-memory"],
        ["X"] = ["rtol", "lr", "wd", "momentum", "clip", "label-smoothing", "random-labels", "radius", "swa-lr", "delta", "prior-sigma", "prior-split"],
        ["SECONDS"] = ["budget"],
        ["DIR"] = ["out", "checkpoint", "libtorch"],
        ["FILE"] = ["weights", "spec", "indices"],
        ["SPEC"] = ["data", "model", "regularizer", "schedule", "augment"],
        ["CRITERION"] = ["until"],
        ["IDS"] = ["metrics"],
        ["MEAN,STD"] = ["normalize"],
        ["LAYER"] = ["layer"],
        ["TIME"] = ["slurm-time"],
        ["SIZE"] = ["slurm-mem"],
        ["NAME"] = ["matrix", "preset", "optimizer", "device", "loss", "diagonal", "pacgen-diagonal", "fisher-norms", "label-noise", "mode", "objective", "slurm-partition", "verdict"],
    };

    private static readonly Dictionary<string, string> Table = ByKind.SelectMany(k => k.Value.Select(name => (name, k.Key))).ToDictionary(p => p.name, p => p.Key);

    /// <summary>The placeholder of option <paramref name="name"/>; every option that takes a value is in the table (a test holds it so).</summary>
    public static string For(string name) => Table.GetValueOrDefault(name, "VALUE");

    /// <summary>Whether <paramref name="name"/> is in the table.</summary>
    public static bool Has(string name) => Table.ContainsKey(name);
}
