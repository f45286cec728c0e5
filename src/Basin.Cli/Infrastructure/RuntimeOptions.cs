using Basin.Native;

namespace Basin.Cli.Infrastructure;

/// <summary>The options every command that computes shares: the device and where libtorch comes from.</summary>
public static class RuntimeOptions
{
    private static readonly IntOption Threads = new("threads", "CPU threads for tensor work", 1, 1, 4096, "the cores available, or BASIN_THREADS");

    private static readonly NumberOption MaxMemory = new("max-memory", "GB a command may plan to hold; one that would need more says so and stops before work", 0, 1e-3, 1e6, "what the kernel reports available");

    /// <summary>The option declarations.</summary>
    public static readonly (string, bool, string)[] Declarations =
    [
        ("device", false, "auto (CUDA when available), cpu or cuda; default auto"),
        ("libtorch", false, "lib folder of an existing PyTorch install to use instead of the bundled CPU libtorch (or set BASIN_LIBTORCH)"),
        Threads.Declaration,
        MaxMemory.Declaration,
    ];

    private static int ThreadsFromEnvironment()
    {
        string? text = Environment.GetEnvironmentVariable("BASIN_THREADS");
        if (string.IsNullOrWhiteSpace(text)) return Environment.ProcessorCount;
        return int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int n) && n >= 1 && n <= 4096
            ? n : throw new UsageException($"BASIN_THREADS must be a whole number between 1 and 4096, got '{text}'");
    }

    /// <summary>Loads libtorch with the options given and sets the number of CPU threads.</summary>
    public static TorchRuntimeStatus Initialize(Arguments args)
    {
        // An option wins over its environment variable, which is then not read at all (a bad one cannot refuse a good option).
        var device = args.String("device") is { } name
            ? (DeviceChoices.Names.Contains(name) ? DeviceChoices.Parse(name) : throw new UsageException($"--device must be auto, cpu or cuda, got '{name}'"))
            : TorchRuntimeOptions.FromEnvironment().Device;
        string? libtorch = args.String("libtorch") ?? (Environment.GetEnvironmentVariable("BASIN_LIBTORCH") is { } env && !string.IsNullOrWhiteSpace(env) ? env : null);
        if (libtorch is not null && !Directory.Exists(libtorch))
            throw new UsageException($"{(args.Has("libtorch") ? "--libtorch" : "BASIN_LIBTORCH")} '{libtorch}' is not a folder (expected e.g. …/site-packages/torch/lib)");
        int threads = args.Has(Threads.Name) ? Threads.Read(args) : ThreadsFromEnvironment();
        MachineMemory.Limit = MaxMemory.ReadOrNull(args) is { } gigabytes ? (long)(gigabytes * 1e9) : null;
        UsageException.Check(() => Basin.Operators.GraphMemory.Budget); // BASIN_GRAPH_MEMORY, checked before any work
        var status = TorchRuntime.Initialize(new TorchRuntimeOptions(libtorch, device));
        TorchSharp.torch.set_num_threads(threads);
        return status;
    }
}
