using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Basin.IO;

namespace Basin.Studies;

/// <summary>What each array task of a Slurm job asks for.</summary>
/// <param name="Cpus">CPUs per task (<c>--cpus-per-task</c>); the task runs with that many threads.</param>
/// <param name="Gpus">GPUs per task (<c>--gpus</c>; 0 = none); with one or more the task runs with <c>--device cuda</c>.</param>
/// <param name="Time">Time limit per task in a Slurm format: <c>M</c>, <c>M:S</c>, <c>H:M:S</c>, <c>D-H</c>, <c>D-H:M</c>, <c>D-H:M:S</c>.</param>
/// <param name="Partition">Partition (<c>--partition</c>), or the cluster's default.</param>
/// <param name="Memory">Memory per task (<c>--mem</c>, e.g. <c>8G</c>), or the cluster's default.</param>
public sealed record SlurmResources(int Cpus = 2, int Gpus = 0, string Time = "04:00:00", string? Partition = null, string? Memory = null)
{
    /// <summary>Throws <see cref="ArgumentException"/> with one line for the first bad setting.</summary>
    public void Validate()
    {
        if (Cpus < 1 || Cpus > 1024) throw new ArgumentException($"--slurm-cpus must be between 1 and 1024, got {Cpus}");
        if (Gpus < 0 || Gpus > 64) throw new ArgumentException($"--slurm-gpus must be between 0 and 64, got {Gpus}");
        if (!Regex.IsMatch(Time, @"^(\d+-\d+(:\d+){0,2}|\d+(:\d+){0,2})$"))
            throw new ArgumentException($"--slurm-time must be minutes, M:S, H:M:S, D-H, D-H:M or D-H:M:S, got '{Time}'");
        if (Partition is not null && !Regex.IsMatch(Partition, @"^[A-Za-z0-9_.\-]+$"))
            throw new ArgumentException($"--slurm-partition must be a partition name (letters, digits, _ . -), got '{Partition}'");
        if (Memory is not null && !Regex.IsMatch(Memory, @"^\d+[KMGT]?$"))
            throw new ArgumentException($"--slurm-mem must be a size such as 8000 or 8G, got '{Memory}'");
    }
}

/// <summary>
/// The <c>sbatch</c> script of a planned study: a job array with one index per task (<see cref="StudyTasks"/>),
/// each running <c>basin study --out FOLDER --task $SLURM_ARRAY_TASK_ID</c>. Slurm schedules, retries and
/// accounts; Basin only says what each task is.
/// </summary>
public static class SlurmScript
{
    /// <summary>The script's file name in the study folder.</summary>
    public const string FileName = "slurm.sbatch";

    /// <summary>The script's text for <paramref name="tasks"/> tasks of the study <paramref name="name"/> in <paramref name="folder"/>, run by <paramref name="command"/> (the basin executable, quoted as needed).</summary>
    public static string Text(string name, int tasks, string folder, SlurmResources resources, string command)
    {
        resources.Validate();
        if (tasks < 1) throw new ArgumentException("a job array needs at least one task");
        CheckFolder(folder);
        string full = Path.GetFullPath(folder);
        var s = new StringBuilder();
        s.AppendLine("#!/bin/bash");
        s.AppendLine(CultureInfo.InvariantCulture, $"# Basin study '{name}': {tasks} tasks, one per model (tasks.tsv). Written by basin study --slurm; submit with sbatch.");
        s.AppendLine(CultureInfo.InvariantCulture, $"#SBATCH --job-name=basin-{Regex.Replace(name, "[^A-Za-z0-9_.-]", "_")}");
        s.AppendLine(CultureInfo.InvariantCulture, $"#SBATCH --array=0-{tasks - 1}");
        s.AppendLine(CultureInfo.InvariantCulture, $"#SBATCH --cpus-per-task={resources.Cpus}");
        s.AppendLine(CultureInfo.InvariantCulture, $"#SBATCH --time={resources.Time}");
        if (resources.Gpus > 0) s.AppendLine(CultureInfo.InvariantCulture, $"#SBATCH --gpus={resources.Gpus}");
        if (resources.Partition is { } partition) s.AppendLine($"#SBATCH --partition={partition}");
        if (resources.Memory is { } memory) s.AppendLine($"#SBATCH --mem={memory}");
        s.AppendLine($"#SBATCH --output={Path.Combine(full, "slurm", "task-%a.out")}");
        s.AppendLine("set -euo pipefail");
        s.AppendLine(CultureInfo.InvariantCulture, $"exec {command} study --out {Quote(full)} --task \"$SLURM_ARRAY_TASK_ID\" --threads {resources.Cpus}{(resources.Gpus > 0 ? " --device cuda" : "")}");
        return s.ToString();
    }

    /// <summary>Throws <see cref="ArgumentException"/> when the study folder cannot be named in a script: sbatch reads #SBATCH lines word by word, so a log path with white space would be cut there.</summary>
    public static void CheckFolder(string folder)
    {
        string full = Path.GetFullPath(folder);
        if (full.Any(char.IsWhiteSpace)) throw new ArgumentException($"Slurm's #SBATCH lines cannot hold the path '{full}': choose an --out without spaces");
    }

    /// <summary>Writes the script into <paramref name="folder"/> (and the <c>slurm/</c> folder its logs go to); returns the script's path.</summary>
    public static string Write(string name, int tasks, string folder, SlurmResources resources, string command)
    {
        string text = Text(name, tasks, folder, resources, command);
        Directory.CreateDirectory(Path.Combine(folder, "slurm"));
        string path = Path.Combine(Path.GetFullPath(folder), FileName);
        AtomicFile.WriteAllText(path, text);
        return path;
    }

    /// <summary>A word for bash: as is when it is plain, else in single quotes.</summary>
    public static string Quote(string word) =>
        Regex.IsMatch(word, @"^[A-Za-z0-9_./=:+,@%-]+$") ? word : "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
