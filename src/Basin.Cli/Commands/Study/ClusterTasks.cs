using Basin.Cli.Infrastructure;
using Basin.Studies;

namespace Basin.Cli.Commands.Study;

/// <summary>The cluster side of <c>basin study</c>: <c>--plan</c>, <c>--slurm</c> and <c>--task I</c>.</summary>
internal static class ClusterTasks
{
    private static readonly string[] TaskOptions = ["out", "task", "device", "libtorch", "threads"];

    /// <summary>The task to run.</summary>
    public static readonly IntOption Task = new("task", "run exactly one model of the study planned in --out: the 0-based index of tasks.tsv (a done task exits at once)", 0, 0, 1_000_000, DefaultWords: "");

    /// <summary>Plans the study in <paramref name="folder"/>; with <c>--slurm</c> also writes the job script and prints how to submit it.</summary>
    public static int Plan(StudySpec spec, string folder, Arguments args, CliContext context)
    {
        SlurmResources? resources = null;
        if (args.Has("slurm"))
        {
            resources = new SlurmResources(SharedOptions.SlurmCpus.Read(args), SharedOptions.SlurmGpus.Read(args), args.String("slurm-time", "04:00:00"),
                args.String("slurm-partition"), args.String("slurm-mem"));
            UsageException.Check(resources.Validate);
            UsageException.Check(() => SlurmScript.CheckFolder(folder));
        }
        else if (args.Given.FirstOrDefault(g => g.StartsWith("slurm-", StringComparison.Ordinal)) is { } stray)
        {
            throw new UsageException($"--{stray} needs --slurm");
        }
        RuntimeOptions.Initialize(args);
        // study.json, tasks.tsv and the script, or none of what this call would add (a full disk left study.json alone).
        string? created = Basin.IO.StaleFiles.FirstMissing(folder);
        var added = new[] { "study.json", StudyTasks.TaskFile, SlurmScript.FileName, "slurm" }.Select(f => Path.Combine(folder, f)).Where(f => !Path.Exists(f)).ToList();
        int tasks;
        string? script = null;
        try
        {
            tasks = StudyTasks.Plan(spec, folder);
            if (resources is not null) script = SlurmScript.Write(spec.Name, tasks, folder, resources, SelfCommand());
        }
        catch
        {
            foreach (var path in added)
            {
                if (File.Exists(path)) File.Delete(path);
                else if (Directory.Exists(path) && !Directory.EnumerateFileSystemEntries(path).Any()) Directory.Delete(path);
            }
            if (created is not null) Basin.IO.StaleFiles.RemoveEmpty(folder, created);
            throw;
        }
        context.Out.WriteLine($"planned {tasks} tasks in {Path.Combine(folder, StudyTasks.TaskFile)}; run task I with: basin study --out {SlurmScript.Quote(folder)} --task I");
        if (script is null) return 0;
        context.Out.WriteLine($"sbatch {SlurmScript.Quote(script)}");
        context.Out.WriteLine($"then: basin {(spec.Name == Basin.Benchmark.BenchmarkDesign.StudyName ? "benchmark" : "study")} --report-only --out {SlurmScript.Quote(folder)}");
        return 0;
    }

    /// <summary>Runs one task of the study planned in <c>--out</c>.</summary>
    public static int RunTask(Arguments args, CliContext context)
    {
        if (args.Given.FirstOrDefault(g => !TaskOptions.Contains(g)) is { } other)
            throw new UsageException($"--task runs one model of the study planned in --out; drop --{other}");
        if (args.String("axis") is { } axis) throw new UsageException($"--task runs one model of the study planned in --out; drop the axis '{axis}'");
        string folder = args.String("out") ?? throw new UsageException("--task needs --out, the folder of a planned study");
        int index = Task.Read(args);
        var runtime = RuntimeOptions.Initialize(args);
        try
        {
            var (result, done) = StudyTasks.Run(folder, index, device: runtime.Device);
            context.Error.WriteLine(done ? $"task {index} ({result.Name}) was done already" : $"task {index} ({result.Name}) done: test error {100 * result.TestError:F2}%, {result.Metrics.Count} metrics");
            return 0;
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new UsageException(e.Message.Split(" (Parameter")[0], e);
        }
        catch (TaskBusyException e)
        {
            // Not an error: the work is being done, once.
            context.Error.WriteLine(e.Message);
            return 0;
        }
    }

    /// <summary>How this process was started, as a bash command: <c>dotnet …/Basin.Cli.dll</c>, or the executable itself.</summary>
    private static string SelfCommand()
    {
        string process = Environment.ProcessPath ?? "dotnet";
        string dll = typeof(ClusterTasks).Assembly.Location;
        return Path.GetFileNameWithoutExtension(process) == "dotnet" && dll.Length > 0
            ? $"{SlurmScript.Quote(process)} {SlurmScript.Quote(dll)}"
            : SlurmScript.Quote(process);
    }
}
