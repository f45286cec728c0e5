using System.Globalization;
using System.Text;
using Basin.Data;
using Basin.IO;
using static TorchSharp.torch;

namespace Basin.Studies;

/// <summary>
/// A study as independent tasks, one per model, for a scheduler such as a Slurm job array: <see cref="Plan"/>
/// writes the study and its task list into the folder; <see cref="Run"/> runs exactly one model of it. Tasks
/// share nothing but the folder: each writes only under <c>models/&lt;its name&gt;/</c> (its checkpoint, then its
/// <c>result.json</c> by an atomic rename), so any number may run at once on a shared file system, and a task whose
/// result is there already returns at once.
/// </summary>
public static class StudyTasks
{
    /// <summary>The task list in a planned study folder: one line per task, <c>index TAB model name</c>, in spec order.</summary>
    public const string TaskFile = "tasks.tsv";

    /// <summary>Plans <paramref name="spec"/> in <paramref name="folder"/>: checks every model, writes the study and the task list; returns the number of tasks.</summary>
    /// <exception cref="InvalidOperationException">The folder holds a different study.</exception>
    /// <exception cref="StudyModelException">A model cannot be built for its data (nothing is written).</exception>
    public static int Plan(StudySpec spec, string folder)
    {
        var data = new Dictionary<string, DataSplit>();
        try
        {
            StudyRunner.Prepare(spec, folder, data);
        }
        finally
        {
            foreach (var split in data.Values) split.Dispose();
        }
        var list = new StringBuilder();
        for (int i = 0; i < spec.Models.Count; i++) list.Append(CultureInfo.InvariantCulture, $"{i}\t{spec.Models[i].Name}\n");
        AtomicFile.WriteAllText(Path.Combine(folder, TaskFile), list.ToString());
        return spec.Models.Count;
    }

    /// <summary>
    /// Runs task <paramref name="index"/> (0-based) of the study planned in <paramref name="folder"/> on <paramref name="device"/>:
    /// trains and measures that model and saves its result, or returns the saved result when it is there.
    /// </summary>
    /// <exception cref="InvalidDataException">The folder holds no planned study, or its spec is damaged.</exception>
    /// <exception cref="ArgumentOutOfRangeException">No task has that index.</exception>
    /// <exception cref="TaskBusyException">Another process is running that task (<see cref="TaskLock"/>).</exception>
    public static (ModelResult Result, bool AlreadyDone) Run(string folder, int index, Action<StudyProgress>? progress = null, CancellationToken cancel = default, Device? device = null)
    {
        if (!File.Exists(Path.Combine(folder, TaskFile)))
            throw new InvalidDataException($"{folder}: no {TaskFile}; plan the study first (basin study … --plan or --slurm)");
        // Only the spec: a task must not read (and parse) every other task's result.
        var spec = StudyRunner.LoadSpec(folder);
        if (index < 0 || index >= spec.Models.Count)
            throw new ArgumentOutOfRangeException(nameof(index), $"task {index} does not exist: the study in {folder} has tasks 0 to {spec.Models.Count - 1}");
        var model = spec.Models[index];
        string modelFolder = Path.Combine(folder, "models", model.Name);
        var data = new Dictionary<string, DataSplit>();
        try
        {
            if (File.Exists(Path.Combine(modelFolder, "result.json"))) return StudyRunner.RunOne(spec, index, folder, data, device, progress, cancel);
            using var taken = TaskLock.Take(modelFolder, $"task {index} ({model.Name})");
            return StudyRunner.RunOne(spec, index, folder, data, device, progress, cancel);
        }
        finally
        {
            foreach (var split in data.Values) split.Dispose();
        }
    }

    /// <summary>The models of the study in <paramref name="folder"/> that have no result yet, in spec order.</summary>
    public static IReadOnlyList<string> Unfinished(StudySpec spec, string folder) =>
        spec.Models.Where(m => !File.Exists(Path.Combine(folder, "models", m.Name, "result.json"))).Select(m => m.Name).ToList();
}
